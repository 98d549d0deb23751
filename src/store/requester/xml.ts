/**
 * The little XML the Backup Components Document needs: elements with attributes, nested;
 * text is ignored (the VSS documents keep every value in attributes). The reader takes a
 * document from a client, so it is bounded: a size, a depth and an element count, each a
 * named limit, and it never builds more than the bytes it was given can describe.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
}

export interface XmlLimits {
  /** Characters in one document. */
  maxLength: number;
  /** Elements nested in one another. */
  maxDepth: number;
  /** Elements in one document. */
  maxElements: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = { maxLength: 4 * 1024 * 1024, maxDepth: 16, maxElements: 100_000 };

export class XmlError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at character ${offset}`);
    this.name = 'XmlError';
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${Object.keys(ENTITIES).find((k) => ENTITIES[k] === c)};`);
}

/** Writes an element and its subtree; attributes in the order given, undefined ones left out. */
export function writeXml(e: { name: string; attrs: Record<string, string | undefined>; children?: readonly { name: string; attrs: Record<string, string | undefined>; children?: readonly unknown[] }[] }, indent = ''): string {
  const attrs = Object.entries(e.attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v!)}"`)
    .join('');
  const kids = (e.children ?? []) as Parameters<typeof writeXml>[0][];
  if (kids.length === 0) return `${indent}<${e.name}${attrs}/>`;
  return `${indent}<${e.name}${attrs}>\n${kids.map((k) => writeXml(k, `${indent}  `)).join('\n')}\n${indent}</${e.name}>`;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

function decodeEntities(s: string, at: number): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]+);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlError('a bare &', at);
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || code === 0) throw new XmlError(`character reference ${m}`, at);
      return String.fromCodePoint(code);
    }
    const v = ENTITIES[ref];
    if (v === undefined) throw new XmlError(`unknown entity ${m}`, at);
    return v;
  });
}

/** Parses one document with a single root element; anything else is an XmlError. */
export function parseXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  if (text.length > limits.maxLength) throw new XmlError(`document longer than ${limits.maxLength} characters`, limits.maxLength);
  let i = 0;
  let elements = 0;
  const n = text.length;
  const skipSpace = () => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  const expect = (s: string) => {
    if (!text.startsWith(s, i)) throw new XmlError(`expected ${JSON.stringify(s)}`, i);
    i += s.length;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) throw new XmlError('expected a name', i);
    i += m[0].length;
    return m[0];
  };
  /** Comments, processing instructions and the declaration: skipped. */
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) throw new XmlError('unterminated comment', i);
        i = end + 3;
      } else if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i + 2);
        if (end < 0) throw new XmlError('unterminated processing instruction', i);
        i = end + 2;
      } else return;
    }
  };
  const element = (depth: number): XmlElement => {
    if (depth > limits.maxDepth) throw new XmlError(`elements nested deeper than ${limits.maxDepth}`, i);
    if (++elements > limits.maxElements) throw new XmlError(`more than ${limits.maxElements} elements`, i);
    expect('<');
    const tag = name();
    const attrs: Record<string, string> = Object.create(null);
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith('/>', i)) {
        i += 2;
        return { name: tag, attrs, children: [] };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (i === before) throw new XmlError('expected a space before an attribute', i);
      const key = name();
      skipSpace();
      expect('=');
      skipSpace();
      const q = text[i];
      if (q !== '"' && q !== "'") throw new XmlError('expected a quoted attribute value', i);
      const end = text.indexOf(q, i + 1);
      if (end < 0) throw new XmlError('unterminated attribute value', i);
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) throw new XmlError('< in an attribute value', i);
      if (key in attrs) throw new XmlError(`attribute ${key} given twice`, i);
      attrs[key] = decodeEntities(raw, i);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) throw new XmlError(`element ${tag} is not closed`, i);
      decodeEntities(text.slice(i, lt), i);
      i = lt;
      if (text.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== tag) throw new XmlError(`</${closing}> closes <${tag}>`, i);
        skipSpace();
        expect('>');
        return { name: tag, attrs, children };
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) throw new XmlError('unterminated comment', i);
        i = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) throw new XmlError('unterminated CDATA section', i);
        i = end + 3;
        continue;
      }
      if (text.startsWith('<?', i) || text.startsWith('<!', i)) throw new XmlError('a declaration inside an element', i);
      children.push(element(depth + 1));
    }
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  skipMisc();
  if (text.startsWith('<!', i)) throw new XmlError('document type declarations are not accepted', i);
  const root = element(1);
  skipMisc();
  if (i !== n) throw new XmlError('content after the root element', i);
  return root;
}
