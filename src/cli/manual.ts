/**
 * `scmp --help` and `scmp help VERB`: the manual, one page per verb. The exit codes are
 * EXIT's (exit-codes.ts); the admin verbs' page is ADMIN_USAGE.
 */
import { ADMIN_USAGE } from './admin.js';
import { CAPTURE_USAGE } from './capture.js';
import { REPLAY_USAGE } from './replay.js';

const CONNECTION = `Connection (any order, before or after the command's words):
  TARGET                  [[domain/]user[:password]@]host, as impacket's tools take it
                          (the password may hold @ and :; the host follows the last @)
  -hashes LMHASH:NTHASH   log on with the NT hash instead of a password (LM part may be empty)
  --auth-type TYPE        spnego (default, as Windows clients) | ntlm
  --auth-level LEVEL      privacy (default, sealed) | integrity (signed)
  --port N                the host's endpoint mapper port (default 135)
  --timeout SECONDS       limit for each connection and call (default 30)
  --json                  print for machines instead of vssadmin's layout
Password: from TARGET, else $SCMP_PASSWORD, else asked for without echo on a terminal.`;

const EXITS = `Exit codes:
  0  done
  1  the host refused (the HRESULT it returned is printed)
  2  usage error (unknown command or option, bad size, missing value or password;
     also create shadow / delete shadows, which MS-SCMP cannot do)
  3  scmp admin: the admin token was not accepted
  4  access denied: logged on, but not an administrator of the host
  5  not found (no such volume or storage association)
  6  the host could not be reached, did not answer in time, or does not speak DCOM
  7  logon failure: the user name or password (or hash) was not accepted
  8  scmp capture show / replay: the capture file could not be read, or only in part
  9  scmp replay: replayed, and the answers differ from the recording
 10  scmp conform: an applicable conformance check failed`;

export const MAIN_USAGE = `Usage: scmp COMMAND [OPTIONS] TARGET
       scmp admin COMMAND [OPTIONS]
       scmp help [COMMAND]

vssadmin for remote hosts: lists shadow copies and manages shadow copy storage over the
Shadow Copy Management Protocol (MS-SCMP, DCOM on port 135) on Windows hosts and scmpd.

Commands over the network (vssadmin's /for=C: form is taken for --for C:):
  list volumes TARGET                          volumes that take shadow copies
  list shadows TARGET [--for VOLUME]
  list shadowstorage TARGET [--for VOLUME | --on VOLUME]
  add shadowstorage TARGET --for VOLUME --on VOLUME --maxsize SIZE
  resize shadowstorage TARGET --for VOLUME --on VOLUME --maxsize SIZE
  delete shadowstorage TARGET --for VOLUME [--on VOLUME]
  create shadow, delete shadows                not in MS-SCMP: use scmp admin on scmpd
  admin …                                      an scmpd's admin API (scmp help admin)

Reading captures (no host needed):
  capture show FILE [--password P | -hashes LM:NT] [--keys KEYFILE] [--filter WHAT] [--json]
                                               every DCE/RPC call in a pcap/pcapng file, decoded
  replay FILE --target TARGET [--capture-password P] [--allow-changes] [--json] [--junit F]
                                               the recorded calls again against TARGET, answers
                                               compared field by field (scmp help replay)

Conformance (is a host an MS-SCMP server as the specifications say?):
  conform TARGET [--allow-changes] [--user-account U:P] [--only IDS] [--skip IDS]
          [--json] [--junit FILE] [--list]     the catalogue of checks (scmp help conform)

VOLUME: a drive letter (C: or C:\\), a mounted folder (C:\\mnt\\archive\\), or a volume name
(\\\\?\\Volume{GUID}\\).
SIZE: bytes, or a number with KB, MB, GB, TB, PB or EB (1024-based, any case, 1.5GB too),
a percentage of the storage volume (20%), or UNBOUNDED.

${CONNECTION}

${EXITS}

Example (scmpd started with npm start, from a second terminal):
  scmp list shadows Administrator:'Scmp-Lab-2026!'@127.0.0.1
`;

const PAGES: Record<string, string> = {
  'list volumes': `Usage: scmp list volumes TARGET [--json]

The volumes of the host that take shadow copies (IVssSnapshotMgmt::
QueryVolumesSupportedForSnapshots), each with its path and volume name.`,
  'list shadows': `Usage: scmp list shadows TARGET [--for VOLUME] [--json]

The host's shadow copies grouped by shadow copy set, oldest first (IVssSnapshotMgmt::
QuerySnapshotsByVolume for each volume, or for VOLUME only). Times print in the local time
zone (TZ); --json gives them in UTC.`,
  'list shadowstorage': `Usage: scmp list shadowstorage TARGET [--for VOLUME | --on VOLUME] [--json]

Shadow copy storage associations: all, those for VOLUME's shadow copies (--for), or those
stored on VOLUME (--on), with used, allocated and maximum space and their share of the
storage volume. --json: maximumBytes null is UNBOUNDED.`,
  'add shadowstorage': `Usage: scmp add shadowstorage TARGET --for VOLUME --on VOLUME --maxsize SIZE

Stores VOLUME's (--for) shadow copies on the volume --on, up to SIZE (AddDiffArea). A
percentage is of the storage volume's total size as the host reports it.`,
  'resize shadowstorage': `Usage: scmp resize shadowstorage TARGET --for VOLUME --on VOLUME --maxsize SIZE

Changes an association's maximum size (ChangeDiffAreaMaximumSize). The host may delete
shadow copies that no longer fit.`,
  'delete shadowstorage': `Usage: scmp delete shadowstorage TARGET --for VOLUME [--on VOLUME]

Removes VOLUME's storage association (on --on, or all of them): ChangeDiffAreaMaximumSize
with a maximum of 0, MS-SCMP's way to remove one. Not found (exit 5) when there is none.`,
  'create shadow': `scmp create shadow / delete shadows: not possible over the network.

MS-SCMP lists shadow copies and manages their storage; it has no method that creates or
deletes one. On an emulated host, scmpd's admin API does: scmp admin create shadow --for C:
and scmp admin delete shadows … (scmp help admin). The command exits 2.`,
};
PAGES['delete shadows'] = PAGES['create shadow']!;
PAGES.conform = `Usage: scmp conform TARGET [--allow-changes] [--user-account [DOMAIN/]USER:PASSWORD]
                    [--only IDS] [--skip IDS] [--json] [--junit FILE]
       scmp conform --list [--only IDS] [--skip IDS] [--json]

Runs the conformance catalogue against a host (docs/conformance.md): each check states one
requirement of MS-SCMP, MS-DCOM, MS-RPCE, MS-NLMP or MS-SPNG that a client can observe,
cites its section, and gets a verdict: PASS, FAIL (expected and got) or N/A.
  --allow-changes         also run the checks that change the host (storage associations);
                          each puts back what it changed. Without it the run is read-only.
  --user-account U:P      an account that is NOT an administrator of the host, for the
                          authorization checks (E_ACCESSDENIED); without it they are N/A
  --only IDS, --skip IDS  ids or globs, comma-separated or repeated (--only 'enum.*')
  --json                  the verdicts as JSON; --junit FILE also writes JUnit XML
  --list                  print the catalogue (ids, sections, needs) and exit
  --timeout SECONDS       limit for each connection and call (default 10 here)
Exit 0 when every applicable check passed, 10 when one failed.`;

/** One verb's page, or undefined for an unknown verb. */
export function helpPage(words: string[]): string | undefined {
  const verb = words.join(' ').toLowerCase();
  if (verb === 'admin' || verb.startsWith('admin ')) return ADMIN_USAGE;
  if (verb === 'capture' || verb.startsWith('capture ')) return CAPTURE_USAGE;
  if (verb === 'replay' || verb.startsWith('replay ')) return REPLAY_USAGE;
  if (verb === 'conform' || verb.startsWith('conform ')) return `${PAGES.conform}\n\n${CONNECTION}\n\n${EXITS}\n`;
  const page = PAGES[verb];
  if (page === undefined) return undefined;
  return verb === 'create shadow' || verb === 'delete shadows' ? `${page}\n` : `${page}\n\n${CONNECTION}\n\n${EXITS}\n`;
}
