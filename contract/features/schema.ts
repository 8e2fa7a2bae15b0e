/**
 * The feature schema: every named number an agent sends (Sample.features) and models consume.
 * Bump FEATURE_SCHEMA_VERSION when a name, unit or meaning changes (adding per-device features of an existing
 * pattern is not a change). docs/features.md is generated from FEATURES (`tsx agent/features/gen-docs.ts`).
 *
 * Conventions: counters become per-second rates (`_per_s`); bytes, seconds, milliseconds (`_ms`), percent 0–100
 * (`_pct`), °C (`_c`), rpm, volts; booleans are 1/0; a missing reading is null, never 0.
 * `{placeholder}` segments are device names (disk, mount, interface, core, sensor, service) with characters outside
 * `[a-z0-9_.:/-]` replaced by `_`.
 */

/** Version of the feature schema carried in every Sample. */
export const FEATURE_SCHEMA_VERSION = 'hs-features/1';

export type FeatureUnit =
  | 'pct'
  | 'bytes'
  | 'bytes/s'
  | 'per_s'
  | 'ms'
  | 's'
  | 'h'
  | 'celsius'
  | 'mhz'
  | 'mbps'
  | 'rpm'
  | 'volts'
  | 'count'
  | 'bool'
  | 'ratio';

export interface FeatureDef {
  /** Name or pattern with `{placeholder}` segments. */
  name: string;
  unit: FeatureUnit;
  meaning: string;
  /** 'cycle' = every cycle (default 10 s); otherwise the collector's slow cadence. */
  cadence: 'cycle' | '60s' | '600s';
  /** Kernel file, tool or computation it comes from. */
  source: string;
  /** Part of the ordered host-level vector for the multivariate anomaly model. */
  model?: boolean;
}

const d = (
  name: string,
  unit: FeatureUnit,
  meaning: string,
  source: string,
  extra: Partial<FeatureDef> = {},
): FeatureDef => ({ name, unit, meaning, source, cadence: 'cycle', ...extra });
const m = (
  name: string,
  unit: FeatureUnit,
  meaning: string,
  source: string,
  extra: Partial<FeatureDef> = {},
): FeatureDef => d(name, unit, meaning, source, { model: true, ...extra });

/** Every feature, grouped by collector. Host-level `model: true` entries form MODEL_FEATURES in this order. */
export const FEATURES: readonly FeatureDef[] = [
  // cpu
  m('cpu.util_pct', 'pct', 'CPU busy share over the cycle (100 − idle − iowait), all cores', '/proc/stat deltas'),
  m('cpu.user_pct', 'pct', 'user-mode share (excluding nice)', '/proc/stat deltas'),
  m('cpu.nice_pct', 'pct', 'niced user-mode share', '/proc/stat deltas'),
  m('cpu.system_pct', 'pct', 'kernel-mode share', '/proc/stat deltas'),
  m('cpu.irq_pct', 'pct', 'hard + soft interrupt share', '/proc/stat deltas'),
  m('cpu.iowait_pct', 'pct', 'idle-waiting-for-I/O share', '/proc/stat deltas'),
  m('cpu.steal_pct', 'pct', 'time stolen by the hypervisor', '/proc/stat deltas'),
  m('cpu.idle_pct', 'pct', 'idle share; the seven shares sum to 100', '/proc/stat deltas'),
  m('cpu.load1', 'ratio', '1-minute load average', '/proc/loadavg'),
  m('cpu.load5', 'ratio', '5-minute load average', '/proc/loadavg'),
  m('cpu.load15', 'ratio', '15-minute load average', '/proc/loadavg'),
  m('cpu.load1_per_core', 'ratio', '1-minute load average divided by the number of cores', '/proc/loadavg, /proc/stat'),
  m('cpu.procs_blocked', 'count', 'processes blocked on I/O', '/proc/stat procs_blocked'),
  m(
    'cpu.freq_mhz',
    'mhz',
    'mean current core frequency (null without cpufreq)',
    '/sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq',
  ),
  m(
    'cpu.throttle_per_s',
    'per_s',
    'thermal throttle events per second, cores + package (null without thermal_throttle)',
    '/sys/devices/system/cpu/cpu*/thermal_throttle',
  ),
  m('cpu.temp_package_c', 'celsius', 'CPU package temperature (null without sensors)', 'hwmon coretemp/k10temp'),
  m('cpu.temp_max_c', 'celsius', 'hottest CPU sensor: package, cores or thermal zones', 'hwmon, /sys/class/thermal'),
  m(
    'psi.cpu.some_pct',
    'pct',
    'share of the cycle some task stalled waiting for CPU',
    '/proc/pressure/cpu total delta',
  ),
  d('cpu.core.{core}.util_pct', 'pct', 'busy share of one core', '/proc/stat deltas'),
  d('cpu.core.{core}.freq_mhz', 'mhz', 'current frequency of one core', 'cpufreq scaling_cur_freq'),
  d('cpu.core.{core}.temp_c', 'celsius', 'temperature of one core', 'hwmon coretemp "Core N"'),
  d('cpu.zone.{zone}.temp_c', 'celsius', 'temperature of one thermal zone', '/sys/class/thermal/thermal_zone*/temp'),
  // memory
  m('mem.used_pct', 'pct', 'memory in use: (total − available) / total', '/proc/meminfo'),
  m('mem.available_bytes', 'bytes', 'memory available for new work without swapping', '/proc/meminfo MemAvailable'),
  m('mem.cached_bytes', 'bytes', 'page cache + reclaimable slab', '/proc/meminfo Cached + SReclaimable'),
  m('mem.swap_used_pct', 'pct', 'swap in use (null without swap)', '/proc/meminfo SwapTotal/SwapFree'),
  m('mem.swap_in_bytes_per_s', 'bytes/s', 'swap-in rate', '/proc/vmstat pswpin'),
  m('mem.swap_out_bytes_per_s', 'bytes/s', 'swap-out rate', '/proc/vmstat pswpout'),
  m('mem.major_faults_per_s', 'per_s', 'major page faults (reads from disk) per second', '/proc/vmstat pgmajfault'),
  m(
    'mem.ecc_corrected_per_s',
    'per_s',
    'corrected ECC errors per second (null without EDAC)',
    '/sys/devices/system/edac/mc/mc*/ce_count',
  ),
  d(
    'mem.ecc_corrected',
    'count',
    'corrected ECC errors since boot (null without EDAC)',
    '/sys/devices/system/edac/mc/mc*/ce_count',
  ),
  m(
    'mem.ecc_uncorrected',
    'count',
    'uncorrected ECC errors since boot (null without EDAC)',
    '/sys/devices/system/edac/mc/mc*/ue_count',
  ),
  m('psi.memory.some_pct', 'pct', 'share of the cycle some task stalled on memory', '/proc/pressure/memory'),
  m('psi.memory.full_pct', 'pct', 'share of the cycle all tasks stalled on memory', '/proc/pressure/memory'),
  m('psi.io.some_pct', 'pct', 'share of the cycle some task stalled on I/O', '/proc/pressure/io'),
  m('psi.io.full_pct', 'pct', 'share of the cycle all tasks stalled on I/O', '/proc/pressure/io'),
  d('mem.total_bytes', 'bytes', 'installed memory visible to the kernel', '/proc/meminfo MemTotal'),
  // filesystems
  m(
    'fs.min_free_pct',
    'pct',
    'free space (available to users) of the fullest filesystem',
    'statfs over /proc/self/mountinfo',
  ),
  m('fs.min_inodes_free_pct', 'pct', 'free inodes of the filesystem with fewest', 'statfs'),
  m(
    'fs.readonly_remounts',
    'count',
    'filesystems remounted read-only after errors',
    'mountinfo options vs earlier cycles and /etc/fstab',
  ),
  d('fs.{mount}.free_pct', 'pct', 'space available to users / size', 'statfs f_bavail/f_blocks'),
  d('fs.{mount}.free_bytes', 'bytes', 'space available to users', 'statfs f_bavail·f_bsize'),
  d('fs.{mount}.size_bytes', 'bytes', 'filesystem size', 'statfs f_blocks·f_bsize'),
  d(
    'fs.{mount}.inodes_free_pct',
    'pct',
    'free inodes / inodes (null when the filesystem has no inode limit)',
    'statfs f_ffree/f_files',
  ),
  d('fs.{mount}.readonly', 'bool', '1 when mounted read-only', '/proc/self/mountinfo'),
  // disks
  m('disk.read_bytes_per_s', 'bytes/s', 'read throughput, all whole disks', '/proc/diskstats sectors·512'),
  m('disk.write_bytes_per_s', 'bytes/s', 'write throughput, all whole disks', '/proc/diskstats'),
  m('disk.iops', 'per_s', 'completed reads + writes per second, all disks', '/proc/diskstats'),
  m('disk.max_util_pct', 'pct', 'busiest disk: share of time with I/O in flight', '/proc/diskstats io_ticks'),
  m('disk.max_await_ms', 'ms', 'slowest disk: mean time per completed request', '/proc/diskstats'),
  d('disk.{dev}.read_bytes_per_s', 'bytes/s', 'read throughput', '/proc/diskstats'),
  d('disk.{dev}.write_bytes_per_s', 'bytes/s', 'write throughput', '/proc/diskstats'),
  d('disk.{dev}.reads_per_s', 'per_s', 'completed reads per second', '/proc/diskstats'),
  d('disk.{dev}.writes_per_s', 'per_s', 'completed writes per second', '/proc/diskstats'),
  d(
    'disk.{dev}.await_ms',
    'ms',
    'mean time per completed request, queue + service (0 without I/O)',
    '/proc/diskstats (Δread_ms+Δwrite_ms)/Δios',
  ),
  d('disk.{dev}.util_pct', 'pct', 'share of time with I/O in flight', '/proc/diskstats Δio_ticks'),
  d('disk.{dev}.in_flight', 'count', 'requests in flight at the end of the cycle', '/proc/diskstats'),
  // network
  m('net.rx_bytes_per_s', 'bytes/s', 'received bytes, all interfaces except lo', '/proc/net/dev'),
  m('net.tx_bytes_per_s', 'bytes/s', 'transmitted bytes, all interfaces except lo', '/proc/net/dev'),
  m('net.errors_per_s', 'per_s', 'rx + tx errors per second, all interfaces', '/proc/net/dev'),
  m('net.drops_per_s', 'per_s', 'rx + tx drops per second, all interfaces', '/proc/net/dev'),
  m(
    'net.links_down',
    'count',
    'interfaces with a device (physical NICs) whose operstate is not up',
    '/sys/class/net/*/operstate',
  ),
  d('net.{iface}.rx_bytes_per_s', 'bytes/s', 'received bytes per second', '/proc/net/dev'),
  d('net.{iface}.tx_bytes_per_s', 'bytes/s', 'transmitted bytes per second', '/proc/net/dev'),
  d('net.{iface}.rx_packets_per_s', 'per_s', 'received packets per second', '/proc/net/dev'),
  d('net.{iface}.tx_packets_per_s', 'per_s', 'transmitted packets per second', '/proc/net/dev'),
  d('net.{iface}.errors_per_s', 'per_s', 'rx + tx errors per second', '/proc/net/dev'),
  d('net.{iface}.drops_per_s', 'per_s', 'rx + tx drops per second', '/proc/net/dev'),
  d('net.{iface}.up', 'bool', '1 when operstate is up', '/sys/class/net/*/operstate'),
  d('net.{iface}.speed_mbps', 'mbps', 'negotiated link speed (null for virtual NICs)', '/sys/class/net/*/speed'),
  d(
    'net.{iface}.link_changes',
    'count',
    'carrier up/down transitions since the previous cycle',
    '/sys/class/net/*/carrier_changes',
  ),
  // processes
  m('proc.count', 'count', 'processes', '/proc/[pid]'),
  m('proc.threads', 'count', 'threads of all processes', '/proc/[pid]/stat num_threads'),
  m('proc.zombies', 'count', 'zombie processes', '/proc/[pid]/stat state Z'),
  m(
    'proc.top_cpu_pct',
    'pct',
    'CPU share of the busiest process (of one core; may exceed 100)',
    '/proc/[pid]/stat utime+stime deltas',
  ),
  m('proc.top_rss_bytes', 'bytes', 'resident memory of the largest process', '/proc/[pid]/stat rss'),
  m('proc.fds_used_pct', 'pct', 'system-wide open file handles / fs.file-max', '/proc/sys/fs/file-nr'),
  // sensors
  m('sensors.fan_min_rpm', 'rpm', 'slowest fan (0 = stopped; null without fan sensors)', 'hwmon fan*_input'),
  m('sensors.temp_max_c', 'celsius', 'hottest non-CPU hwmon sensor', 'hwmon temp*_input'),
  d('sensors.fan.{sensor}.rpm', 'rpm', 'one fan', 'hwmon fan*_input'),
  d('sensors.volt.{sensor}.volts', 'volts', 'one voltage rail', 'hwmon in*_input'),
  d('sensors.temp.{sensor}.c', 'celsius', 'one non-CPU temperature sensor', 'hwmon temp*_input'),
  // smart
  m('smart.failing_disks', 'count', 'disks whose SMART overall health is FAILED', 'smartctl --json -a', {
    cadence: '600s',
  }),
  m('smart.max_reallocated', 'count', 'most reallocated sectors on any disk (ATA 5)', 'smartctl', { cadence: '600s' }),
  m(
    'smart.max_pending',
    'count',
    'most pending + offline-uncorrectable sectors on any disk (ATA 197, 198)',
    'smartctl',
    { cadence: '600s' },
  ),
  m('smart.max_temp_c', 'celsius', 'hottest disk', 'smartctl', { cadence: '600s' }),
  m(
    'smart.nvme_max_pct_used',
    'pct',
    'most worn NVMe disk (vendor estimate, may exceed 100)',
    'smartctl NVMe health log',
    { cadence: '600s' },
  ),
  m('smart.media_errors', 'count', 'NVMe media errors + ATA reported uncorrectable, summed over disks', 'smartctl', {
    cadence: '600s',
  }),
  d('smart.{dev}.passed', 'bool', 'SMART overall health: 1 PASSED, 0 FAILED', 'smartctl smart_status.passed', {
    cadence: '600s',
  }),
  d('smart.{dev}.temp_c', 'celsius', 'disk temperature', 'smartctl temperature.current', { cadence: '600s' }),
  d('smart.{dev}.power_on_hours', 'h', 'power-on hours', 'smartctl power_on_time.hours', { cadence: '600s' }),
  d('smart.{dev}.read_error_rate', 'count', 'ATA 1 raw value (vendor specific)', 'smartctl ata_smart_attributes', {
    cadence: '600s',
  }),
  d('smart.{dev}.reallocated', 'count', 'ATA 5 reallocated sectors', 'smartctl', { cadence: '600s' }),
  d('smart.{dev}.reported_uncorrect', 'count', 'ATA 187 reported uncorrectable errors', 'smartctl', {
    cadence: '600s',
  }),
  d('smart.{dev}.command_timeout', 'count', 'ATA 188 command timeouts (raw, vendor packed)', 'smartctl', {
    cadence: '600s',
  }),
  d('smart.{dev}.pending', 'count', 'ATA 197 current pending sectors', 'smartctl', { cadence: '600s' }),
  d('smart.{dev}.offline_uncorrectable', 'count', 'ATA 198 offline uncorrectable sectors', 'smartctl', {
    cadence: '600s',
  }),
  d('smart.{dev}.crc_errors', 'count', 'ATA 199 UDMA CRC errors (cabling)', 'smartctl', { cadence: '600s' }),
  d('smart.{dev}.nvme_media_errors', 'count', 'NVMe media and data integrity errors', 'smartctl NVMe health log', {
    cadence: '600s',
  }),
  d('smart.{dev}.nvme_pct_used', 'pct', 'NVMe endurance used (vendor estimate)', 'smartctl NVMe health log', {
    cadence: '600s',
  }),
  d('smart.{dev}.nvme_spare_pct', 'pct', 'NVMe available spare', 'smartctl NVMe health log', { cadence: '600s' }),
  d(
    'smart.{dev}.nvme_critical_warning',
    'count',
    'NVMe critical warning bit field (0 = none)',
    'smartctl NVMe health log',
    { cadence: '600s' },
  ),
  // services
  m('services.unhealthy', 'count', 'configured services (systemd or pidfile) not running', 'systemctl show, pidfiles'),
  d(
    'service.{service}.healthy',
    'bool',
    '1 when the service is active / its pid is alive',
    'systemctl show ActiveState, pidfile + /proc/[pid]',
    { cadence: '60s' },
  ),
  d('service.{service}.restarts', 'count', 'systemd restart counter (NRestarts)', 'systemctl show NRestarts', {
    cadence: '60s',
  }),
];

/** Ordered host-level features for the multivariate anomaly model (stable within a schema version). */
export const MODEL_FEATURES: readonly string[] = FEATURES.filter((f) => f.model).map((f) => f.name);

const patterns = FEATURES.map((f) => ({
  def: f,
  re: new RegExp(`^${f.name.replace(/[.]/g, '\\.').replace(/\{[a-z]+\}/g, '[a-z0-9_.:/-]+')}$`, 'i'),
}));

/** The definition a concrete feature name belongs to, or undefined for an unknown name. */
export function featureDef(name: string): FeatureDef | undefined {
  return patterns.find((p) => p.re.test(name))?.def;
}

/** Makes a device name safe inside a feature name (the wire regex is `^[a-z0-9_.:/-]+$`). */
export function featureSegment(s: string): string {
  return s.replace(/[^a-z0-9_.:/-]/gi, '_') || '_';
}
