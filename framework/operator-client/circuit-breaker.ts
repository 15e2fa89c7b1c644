// A per-instance circuit breaker: `failureThreshold` consecutive failures open it for
// `openMs`; then one trial call is let through (half-open) and its result decides.

export interface CircuitOptions {
  failureThreshold: number;
  openMs: number;
  now: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private state_: CircuitState = 'closed';

  constructor(private readonly options: CircuitOptions) {}

  get state(): CircuitState {
    if (this.state_ === 'open' && this.options.now() - this.openedAt >= this.options.openMs) this.state_ = 'half-open';
    return this.state_;
  }

  /** May a call go to this instance now? Taking the half-open trial slot reserves it. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return true;
    }
    return false;
  }

  onSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.state_ = 'closed';
  }

  onFailure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.state_ === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.state_ = 'open';
      this.openedAt = this.options.now();
    }
  }
}
