// The training progress both tasks show (npm start, and --task mnist): on a terminal a bar with the
// epoch, step, loss, steps/s and the time left; otherwise a line per epoch, and a line whenever the
// runtime reports steps within one (every --progress seconds).
import cliProgress from 'cli-progress';
import type { EpochReport, StepProgress } from '../src/run-config';

/** 59s, 1m28s, 2h05m; '-' when not yet known. */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A number for a progress line; NaN and ±Infinity arrive from the page as null. */
const fixed = (v: number | null, digits: number) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v ?? 'NaN'));

export interface TrainingProgress {
  onEpoch(r: EpochReport): void;
  onProgress(p: StepProgress): void;
  /** Ends the bar (call it however the training ends). */
  stop(): void;
}

export function trainingProgress(epochs: number, stepsPerEpoch: number, interactive: boolean): TrainingProgress {
  const totalSteps = stepsPerEpoch * epochs;
  // cli-progress writes its own {eta} (bare seconds) over a field of that name: ours is {remaining}.
  const bar = new cliProgress.SingleBar({ format: 'epoch {epoch}/{epochs} |{bar}| step {step}/{steps} · loss {loss} · train acc {acc} · {sps} steps/s · ETA {remaining}', hideCursor: true }, cliProgress.Presets.shades_classic);
  const fields = { epoch: 1, epochs, step: 0, steps: stepsPerEpoch, loss: '-', acc: '-', sps: '-', remaining: '-' };
  if (interactive) bar.start(totalSteps, 0, fields);
  return {
    onEpoch(r) {
      Object.assign(fields, { epoch: Math.min(r.epoch + 1, epochs), step: 0, loss: fixed(r.loss, 4), acc: fixed(r.accuracy, 4), sps: fixed(r.stepsPerSecond, 0), remaining: duration((totalSteps - r.epoch * stepsPerEpoch) / r.stepsPerSecond) });
      if (interactive) bar.update(r.epoch * stepsPerEpoch, fields);
      else console.log(`epoch ${r.epoch}/${epochs}  loss ${fields.loss}  train acc ${fields.acc}  ${r.seconds.toFixed(2)}s  ${fields.sps} steps/s`);
    },
    onProgress(p) {
      const sps = p.step / p.seconds;
      const done = (p.epoch - 1) * stepsPerEpoch + p.step;
      Object.assign(fields, { epoch: p.epoch, step: p.step, loss: fixed(p.loss, 4), sps: fixed(sps, 0), remaining: duration((totalSteps - done) / sps) });
      if (interactive) bar.update(done, fields);
      else console.log(`  epoch ${p.epoch}/${epochs}  step ${p.step}/${p.steps}  loss ${fields.loss}  ${fields.sps} steps/s  ETA ${duration((p.steps - p.step) / sps)} for the epoch, ${fields.remaining} for the run`);
    },
    stop() {
      if (interactive) bar.stop();
    },
  };
}
