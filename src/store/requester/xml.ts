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
  return new XmlCursor(text, limits).document();
}

/** A position in one document, read forward one construct at a time; every error names where it is. */
class XmlCursor {
  private i = 0;
  private elements = 0;

  constructor(
    private readonly text: string,
    private readonly limits: XmlLimits,
  ) {}

  /** An optional byte order mark, what may stand around the root element, and the root element. */
  document(): XmlElement {
    if (this.text.charCodeAt(0) === 0xfeff) this.i = 1;
    this.skipMisc();
    if (this.at('<!')) throw new XmlError('document type declarations are not accepted', this.i);
    const root = this.element(1);
    this.skipMisc();
    if (this.i !== this.text.length) throw new XmlError('content after the root element', this.i);
    return root;
  }

  /** An element, from its `<` to the end of its closing tag (or of `/>`), counted against the limits. */
  private element(depth: number): XmlElement {
    if (depth > this.limits.maxDepth) throw new XmlError(`elements nested deeper than ${this.limits.maxDepth}`, this.i);
    if (++this.elements > this.limits.maxElements) throw new XmlError(`more than ${this.limits.maxElements} elements`, this.i);
    this.expect('<');
    const tag = this.name();
    const attrs: Record<string, string> = Object.create(null);
    if (this.attributes(attrs)) return { name: tag, attrs, children: [] };
    return { name: tag, attrs, children: this.content(tag, depth) };
  }

  /** The attributes of a start tag, through its end; true when the tag closes itself (`/>`). */
  private attributes(attrs: Record<string, string>): boolean {
    for (;;) {
      const before = this.i;
      this.skipSpace();
      if (this.at('/>')) {
        this.i += 2;
        return true;
      }
      if (this.text[this.i] === '>') {
        this.i++;
        return false;
      }
      if (this.i === before) throw new XmlError('expected a space before an attribute', this.i);
      this.attribute(attrs);
    }
  }

  /** One `name = "value"`, its value's entities decoded; a name given twice is an error. */
  private attribute(attrs: Record<string, string>): void {
    const key = this.name();
    this.skipSpace();
    this.expect('=');
    this.skipSpace();
    const q = this.text[this.i];
    if (q !== '"' && q !== "'") throw new XmlError('expected a quoted attribute value', this.i);
    const end = this.text.indexOf(q, this.i + 1);
    if (end < 0) throw new XmlError('unterminated attribute value', this.i);
    const raw = this.text.slice(this.i + 1, end);
    if (raw.includes('<')) throw new XmlError('< in an attribute value', this.i);
    if (key in attrs) throw new XmlError(`attribute ${key} given twice`, this.i);
    attrs[key] = decodeEntities(raw, this.i);
    this.i = end + 1;
  }

  /** What lies between a start tag and its closing tag: child elements; text, comments and CDATA skipped. */
  private content(tag: string, depth: number): XmlElement[] {
    const children: XmlElement[] = [];
    for (;;) {
      this.skipText(tag);
      if (this.at('</')) {
        this.closingTag(tag);
        return children;
      }
      if (this.at('<!--')) {
        this.skipComment();
        continue;
      }
      if (this.at('<![CDATA[')) {
        this.skipCdata();
        continue;
      }
      if (this.at('<?') || this.at('<!')) throw new XmlError('a declaration inside an element', this.i);
      children.push(this.element(depth + 1));
    }
  }

  /** Text up to the next `<`: ignored, but its entities must be well formed. */
  private skipText(tag: string): void {
    const lt = this.text.indexOf('<', this.i);
    if (lt < 0) throw new XmlError(`element ${tag} is not closed`, this.i);
    decodeEntities(this.text.slice(this.i, lt), this.i);
    this.i = lt;
  }

  /** `</tag>`, which must close the element open. */
  private closingTag(tag: string): void {
    this.i += 2;
    const closing = this.name();
    if (closing !== tag) throw new XmlError(`</${closing}> closes <${tag}>`, this.i);
    this.skipSpace();
    this.expect('>');
  }

  /** Comments, processing instructions and the declaration: skipped. */
  private skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (this.at('<!--')) this.skipComment();
      else if (this.at('<?')) this.skipProcessingInstruction();
      else return;
    }
  }

  private skipComment(): void {
    const end = this.text.indexOf('-->', this.i + 4);
    if (end < 0) throw new XmlError('unterminated comment', this.i);
    this.i = end + 3;
  }

  private skipProcessingInstruction(): void {
    const end = this.text.indexOf('?>', this.i + 2);
    if (end < 0) throw new XmlError('unterminated processing instruction', this.i);
    this.i = end + 2;
  }

  private skipCdata(): void {
    const end = this.text.indexOf(']]>', this.i);
    if (end < 0) throw new XmlError('unterminated CDATA section', this.i);
    this.i = end + 3;
  }

  private name(): string {
    NAME.lastIndex = this.i;
    const m = NAME.exec(this.text);
    if (!m) throw new XmlError('expected a name', this.i);
    this.i += m[0].length;
    return m[0];
  }

  private expect(s: string): void {
    if (!this.at(s)) throw new XmlError(`expected ${JSON.stringify(s)}`, this.i);
    this.i += s.length;
  }

  private skipSpace(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i]!)) this.i++;
  }

  private at(s: string): boolean {
    return this.text.startsWith(s, this.i);
  }
}
