/**
 * Hardware-health collection: the public interface of agent/collect.
 *
 * The agent runtime uses one thing from here, a {@link CollectionEngine} (live: `createCollectionEngine` in
 * engine.ts; recorded: `createReplaySource` in agent/replay/replay-source.ts). Both implement {@link ReadingSource}:
 *
 * ```ts
 * const engine = await createCollectionEngine({ services: ['nginx'], pidfiles: { web: '/run/web.pid' } });
 * await engine.start();
 * const r = await engine.collect(Date.now()); // CycleReading
 * // r.features -> Sample.features (wire), r.collectors -> Sample.collectors, r.facts -> agent/heal policies
 * const inv = await engine.inventory();    // { hash, ts, inventory } -> InventoryMessage at enrollment / on change
 * await engine.stop();
 * ```
 *
 * Each collector (collectors/<noun>.ts) implements {@link Collector}: it reads /proc and /sys through the injected
 * {@link SysFs} port and spawns processes only through the counting {@link ExecPort}. A collector that throws or
 * exceeds its timeout is marked `unavailable: …` for that cycle; its features are null, never a fake zero.
 */

/** Reads the kernel's pseudo-files. Rooted at '/' in production or at a fixture directory in tests. */
export interface SysFs {
  /** Root this reader resolves absolute paths against ('/' = the real machine). */
  readonly root: string;
  /** File text, or null when it does not exist / cannot be read (EACCES, EINVAL on sysfs). */
  read(path: string): Promise<string | null>;
  /** Entry names of a directory, or [] when it does not exist. */
  list(path: string): Promise<string[]>;
  /** Whether a path exists (file or directory). */
  exists(path: string): Promise<boolean>;
  /** statfs(2) of a mount point, or null when it fails. */
  statfs(path: string): Promise<StatFsResult | null>;
  /**
   * Optional: reads a file that is read again every cycle (/proc/[pid]/stat) into `buf` from offset 0, through a
   * descriptor kept open between calls (one pread instead of open, read, read, close). Returns the byte count, or
   * null when the file cannot be read (its descriptor is then closed). Readers without it fall back to `read`.
   */
  readKept?(path: string, buf: Buffer): number | null;
  /** Closes the kept descriptor of `path`, or every kept descriptor when called without one. */
  release?(path?: string): void;
}

/** The statfs(2) fields collectors use (node's fs.StatsFs with numbers). */
export interface StatFsResult {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** Result of one spawned process. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The only way collectors spawn processes; counts every spawn per caller so benchmarks can attribute them. */
export interface ExecPort {
  /** Runs `file args` without a shell; resolves (never rejects) once the process exits or is killed on timeout. */
  run(
    caller: string,
    file: string,
    args: string[],
    options?: { timeoutMs?: number; maxBytes?: number },
  ): Promise<ExecResult>;
  /** Looks an executable up on PATH (no spawn); null when absent. */
  which(file: string): Promise<string | null>;
  /** Spawns so far, per caller name. */
  spawns(): Record<string, number>;
}

/** Status of one collector in one cycle. */
export type CollectorStatus = 'ok' | `unavailable: ${string}`;

/** How often a collector runs: every cycle, or at most every N seconds (its last reading is carried forward). */
export type Cadence = 'cycle' | { everySeconds: number };

/** What a collector gets on each run. */
export interface CollectContext {
  /** Milliseconds since the epoch for this cycle (injected clock). */
  now: number;
  sysfs: SysFs;
  exec: ExecPort;
  /** Aborted when the collector's timeout fires; long work should check it. */
  signal: AbortSignal;
}

/** Thrown by a collector whose hardware / access / tool is missing: becomes `unavailable: <reason>`. */
export class CollectorUnavailable extends Error {
  override name = 'CollectorUnavailable';
  constructor(public readonly reason: string) {
    super(reason);
  }
}

/** A collector: one noun of hardware health. `K` names its slot in {@link Facts}. */
export interface Collector<K extends keyof Facts = keyof Facts> {
  readonly name: K;
  readonly cadence: Cadence;
  /** Per-run timeout in ms (default from the engine config). */
  readonly timeoutMs?: number;
  /** Reads once. Throw {@link CollectorUnavailable} for missing hardware; any other throw is isolated too. */
  collect(ctx: CollectContext): Promise<NonNullable<Facts[K]>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Facts: structured readings. Counters are cumulative (the feature extractor turns them into rates);
// gauges are as read. Every slot is optional: absent = collector unavailable.
// ---------------------------------------------------------------------------------------------------------------

/** Cumulative CPU time counters from /proc/stat, in clock ticks. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

/** Pressure stall information of one resource: averages in percent, total stall in microseconds (counter). */
export interface Pressure {
  someAvg10: number;
  someAvg60: number;
  someTotalUs: number;
  fullAvg10: number | null;
  fullTotalUs: number | null;
}

export interface CpuFacts {
  total: CpuTimes;
  /** Per core, keyed by the kernel's cpu index ("0", "1", …). */
  cores: Record<string, CpuTimes>;
  load1: number;
  load5: number;
  load15: number;
  runnable: number;
  procsBlocked: number;
  /** Current frequency per core in MHz (null: no cpufreq, e.g. in most VMs). */
  freqMhz: Record<string, number> | null;
  /** Thermal throttle event counters (core + package) summed over cores; null without thermal_throttle. */
  throttleCount: number | null;
  /** Temperatures in °C: package (max over packages), per core, and thermal zones; null without sensors. */
  temps: { packageC: number | null; coresC: Record<string, number>; zonesC: Record<string, number> } | null;
  pressure: Pressure | null;
}

export interface MemoryFacts {
  totalBytes: number;
  availableBytes: number;
  freeBytes: number;
  cachedBytes: number;
  buffersBytes: number;
  usedBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  /** Counters from /proc/vmstat (pages). */
  pswpin: number;
  pswpout: number;
  pgmajfault: number;
  /** Page size the swap counters are multiplied by. */
  pageSizeBytes: number;
  /** ECC error counters summed over memory controllers; null without EDAC. */
  ecc: { corrected: number; uncorrected: number; controllers: number } | null;
  pressure: Pressure | null;
  ioPressure: Pressure | null;
}

export interface FilesystemFacts {
  mount: string;
  device: string;
  fstype: string;
  sizeBytes: number;
  freeBytes: number;
  availBytes: number;
  inodes: number;
  inodesFree: number;
  readOnly: boolean;
  /** Mounted read-write per fstab options but now read-only (errors=remount-ro fired). */
  remountedReadOnly: boolean;
}

/** Cumulative per-disk counters from /proc/diskstats. */
export interface DiskIoFacts {
  device: string;
  reads: number;
  writes: number;
  readSectors: number;
  writeSectors: number;
  readMs: number;
  writeMs: number;
  inFlight: number;
  ioMs: number;
  weightedIoMs: number;
}

export interface NetFacts {
  iface: string;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  rxErrors: number;
  txErrors: number;
  rxDrops: number;
  txDrops: number;
  operstate: string;
  up: boolean;
  /** Link speed in Mb/s; null when the driver reports none (virtual NICs). */
  speedMbps: number | null;
  /** Kernel carrier up/down transition counter; null when not exposed. */
  carrierChanges: number | null;
}

export interface SensorFacts {
  fans: Record<string, number>; // rpm, keyed "<chip>_<label>"
  voltages: Record<string, number>; // volts
  temps: Record<string, number>; // °C, hwmon sensors other than CPU
}

export interface ProcessInfo {
  pid: number;
  name: string;
  state: string;
  /** Share of one core over the last cycle, 0–100·cores (null on the first cycle). */
  cpuPct: number | null;
  rssBytes: number;
  /** Seconds since the process started. */
  runtimeS: number;
  /** Open file descriptors (counted for the top consumers only; null when not readable). */
  fds: number | null;
}

export interface ProcessFacts {
  count: number;
  zombies: number;
  threads: number;
  topCpu: ProcessInfo[];
  topMem: ProcessInfo[];
  /** Every process of this cycle (healing conditions test all of them; not sent upstream). */
  all?: ProcessInfo[];
  /** Open file descriptors system-wide (/proc/sys/fs/file-nr) and the limit. */
  fdsAllocated: number | null;
  fdsMax: number | null;
}

export interface ServiceState {
  name: string;
  backend: 'systemd' | 'pidfile';
  /** 'active' | 'inactive' | 'failed' | 'activating' | … for systemd; 'running' | 'dead' | 'missing' for pidfiles. */
  state: string;
  pid: number | null;
  restarts: number | null;
  healthy: boolean;
  detail?: string;
}

export interface SmartDisk {
  device: string;
  model: string | null;
  serial: string | null;
  firmware: string | null;
  kind: 'ata' | 'nvme' | 'scsi' | 'unknown';
  /** Overall self-assessment: true = PASSED, false = FAILED, null = not reported. */
  passed: boolean | null;
  temperatureC: number | null;
  powerOnHours: number | null;
  /** ATA raw values by attribute id (1, 5, 9, 187, 188, 194, 197, 198, 199). */
  attributes: Record<number, number>;
  /** ATA normalized values (smartctl `value`, the vendor's 1..253 health scale) by attribute id, where reported. */
  normalized?: Record<number, number>;
  nvme: {
    mediaErrors: number;
    percentageUsed: number;
    criticalWarning: number;
    availableSparePct: number;
    unsafeShutdowns: number;
  } | null;
}

export interface SmartFacts {
  disks: SmartDisk[];
  skipped: Record<string, string>;
}

/** Everything the collectors found this cycle; the policy engine reads these. */
export interface Facts {
  cpu?: CpuFacts;
  memory?: MemoryFacts;
  filesystems?: FilesystemFacts[];
  disks?: DiskIoFacts[];
  network?: NetFacts[];
  sensors?: SensorFacts;
  processes?: ProcessFacts;
  /** systemd units named in the config. */
  services?: ServiceState[];
  /** pidfile-supervised processes named in the config. */
  pidfiles?: ServiceState[];
  smart?: SmartFacts;
}

/** One cycle's output: the wire feature vector plus the structured facts behind it. */
export interface CycleReading {
  ts: number;
  schema: string;
  features: Record<string, number | null>;
  collectors: Record<string, CollectorStatus>;
  facts: Facts;
}

/** Host inventory with a stable hash (sent at enrollment and whenever the hash changes). */
export interface Inventory {
  ts: number;
  hash: string;
  inventory: Record<string, unknown>;
}

/** Anything that yields cycle readings: the live engine and the replay source. */
export interface ReadingSource {
  start(): Promise<void>;
  collect(now: number): Promise<CycleReading>;
  inventory(): Promise<Inventory>;
  stop(): Promise<void>;
}

/** The live engine also exposes spawn accounting. */
export interface CollectionEngine extends ReadingSource {
  /** Spawned processes so far per collector, and which collectors run every cycle. */
  spawnStats(): { byCaller: Record<string, number>; fastPath: string[] };
}
