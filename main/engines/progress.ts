/**
 * Progress of a long operation, as the CLI prints it and the UI will show it: bytes done of the
 * total, what was read, new and stored, the rate and an ETA, for the job and for the current disk.
 */
export interface ProgressEvent {
  operation: "backup" | "restore" | "check" | "prune" | "verify";
  bytesTotal: number;
  bytesDone: number;
  bytesRead: number;
  bytesNew: number;
  bytesStored: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  disk: { index: number; name: string; bytesTotal: number; bytesDone: number } | null;
  final: boolean;
}

export type ProgressListener = (event: ProgressEvent) => void;

export class ProgressMeter {
  bytesDone = 0;
  bytesRead = 0;
  bytesNew = 0;
  bytesStored = 0;
  private diskDoneAtStart = 0;
  private disk: ProgressEvent["disk"] = null;
  private readonly started = Date.now();
  private lastEmit = 0;

  constructor(
    private readonly operation: ProgressEvent["operation"],
    private readonly bytesTotal: number,
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs = 250,
  ) {}

  startDisk(index: number, name: string, bytesTotal: number): void {
    this.diskDoneAtStart = this.bytesDone;
    this.disk = { index, name, bytesTotal, bytesDone: 0 };
    this.emit(true);
  }

  /** Reports progress; emits at most every intervalMs unless `force`. */
  tick(force = false): void {
    this.emit(force);
  }

  finish(): void {
    this.emit(true, true);
  }

  private emit(force: boolean, final = false): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.bytesDone / seconds;
    if (this.disk) this.disk.bytesDone = this.bytesDone - this.diskDoneAtStart;
    this.listener({
      operation: this.operation,
      bytesTotal: this.bytesTotal,
      bytesDone: this.bytesDone,
      bytesRead: this.bytesRead,
      bytesNew: this.bytesNew,
      bytesStored: this.bytesStored,
      bytesPerSecond: Math.round(rate),
      etaSeconds:
        rate > 0 && !final ? Math.round((this.bytesTotal - this.bytesDone) / rate) : final ? 0 : null,
      disk: this.disk ? { ...this.disk } : null,
      final,
    });
  }
}

/**
 * The step a backup is in, in order (the preload contract's RunPhase is the same list):
 * "snapshot" and "snapshot-removal" only for sources that take a hypervisor snapshot.
 */
export const BACKUP_PHASES = ["pre-check", "snapshot", "transfer", "snapshot-removal", "commit"] as const;
export type BackupPhase = (typeof BACKUP_PHASES)[number];
export type PhaseListener = (phase: BackupPhase) => void;
