/**
 * --ignore rules: globs over a difference's field path. `*` stands for any characters but a
 * dot, `**` for any characters; everything else is literal (so `rgelt[*].Obj.Snap.m_tsCreationTimestamp`
 * matches every element). A rule may name the call first: `IVssEnumObject::Next:rgelt[*]…`.
 */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^.]*';
    else re += ch.replace(/[\\^$+?.()|[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A test of (path, Interface::Method) against every rule. */
export function ignoreMatcher(rules: readonly string[]): (path: string, call: string) => boolean {
  const compiled = rules.map((r) => {
    const m = /^([A-Za-z_][\w]*::[A-Za-z_*][\w*]*):(.+)$/.exec(r);
    return m ? { call: globRegExp(m[1]!), path: globRegExp(m[2]!) } : { call: undefined, path: globRegExp(r) };
  });
  return (path, call) => compiled.some((c) => c.path.test(path) && (!c.call || c.call.test(call)));
}
