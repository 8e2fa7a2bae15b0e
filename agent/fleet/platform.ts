/**
 * The platform this agent reports and accepts releases for (presence `platform`, the upgrader's check): operating
 * system, CPU architecture and C library, named as the packager names artifacts (packaging/package-agent.mjs):
 * `linux-x64`, `linux-arm64` for glibc (the shipped Node.js needs glibc 2.28+), with a `-musl` suffix on musl systems
 * (Alpine), for which no artifact is built: a musl host refuses every glibc release by name.
 */

export type Libc = 'glibc' | 'musl' | 'none';

/** The C library Node.js runs on: glibc when its report names a glibc runtime, musl on Linux otherwise. */
export function detectLibc(): Libc {
  if (process.platform !== 'linux') return 'none';
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** `<os>-<arch>` plus `-musl` on musl: the artifact platform name. */
export function platformName(os: string, arch: string, libc: Libc): string {
  return `${os}-${arch}${libc === 'musl' ? '-musl' : ''}`;
}

let cached: string | null = null;
/** This process's platform name (computed once: the report is not free). */
export function hostPlatform(): string {
  cached ??= platformName(process.platform, process.arch, detectLibc());
  return cached;
}
