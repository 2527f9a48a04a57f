// A small player over time steps (0-based inside, shown 1-based).
// Every play() starts a new "generation"; a timer from an older generation, or one that fires after
// pause(), finds its generation stale and does nothing, so it can never drive the animation.

export const SPEEDS = [0.25, 0.5, 1, 2, 4];
const BASE_INTERVAL_MS = 700;

export class Player {
  /** onChange(step, playing) runs after every change of step or of play/pause. */
  constructor(onChange) {
    this.onChange = onChange;
    this.steps = 0;
    this.step = 0;
    this.first = 0;
    this.speed = 1;
    this.playing = false;
    this.generation = 0;
    this.timer = null;
  }

  /** A new trace: `steps` long, starting at `step`, paused; play from the end restarts at `first`
   *  (the first real token: pads are not worth watching again). */
  load(steps, step = 0, first = 0) {
    this.stop();
    this.steps = steps;
    this.first = first;
    this.step = this.clamp(step);
    this.onChange(this.step, false);
  }

  clamp(step) {
    return Math.min(Math.max(0, Math.round(step)), Math.max(0, this.steps - 1));
  }

  get atEnd() {
    return this.step >= this.steps - 1;
  }

  play() {
    if (this.playing || this.steps < 2) return;
    if (this.atEnd) this.step = this.clamp(this.first ?? 0); // play again from the first real token
    this.playing = true;
    const generation = ++this.generation;
    this.onChange(this.step, true);
    this.schedule(generation);
  }

  pause() {
    if (!this.playing) return;
    this.stop();
    this.onChange(this.step, false);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Jump to a step; a manual move pauses playback. */
  seek(step) {
    const target = this.clamp(step);
    const wasPlaying = this.playing;
    this.stop();
    if (target === this.step && !wasPlaying) return;
    this.step = target;
    this.onChange(this.step, false);
  }

  stepBy(delta) {
    this.seek(this.step + delta);
  }

  setSpeed(speed) {
    this.speed = SPEEDS.includes(speed) ? speed : 1;
    if (this.playing) {
      // Restart the timer so the new speed applies from now; the old timer becomes stale.
      window.clearTimeout(this.timer);
      this.schedule(++this.generation);
    }
  }

  get interval() {
    return BASE_INTERVAL_MS / this.speed;
  }

  stop() {
    this.playing = false;
    this.generation += 1;
    window.clearTimeout(this.timer);
    this.timer = null;
  }

  schedule(generation) {
    this.timer = window.setTimeout(() => this.tick(generation), this.interval);
  }

  tick(generation) {
    if (generation !== this.generation || !this.playing) return; // stale: paused or restarted
    this.step = this.clamp(this.step + 1);
    const finished = this.atEnd;
    if (finished) this.playing = false;
    this.onChange(this.step, this.playing);
    if (!finished && generation === this.generation) this.schedule(generation);
  }
}
