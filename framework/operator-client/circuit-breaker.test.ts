import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from './circuit-breaker.ts';

test('opens after consecutive failures, half-opens after the open period, closes on a good trial', () => {
  let t = 0;
  const cb = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, now: () => t });
  cb.onFailure();
  cb.onFailure();
  assert.equal(cb.state, 'closed');
  cb.onFailure();
  assert.equal(cb.state, 'open');
  assert.equal(cb.tryAcquire(), false);
  t = 1000;
  assert.equal(cb.state, 'half-open');
  assert.equal(cb.tryAcquire(), true);
  assert.equal(cb.tryAcquire(), false, 'only one trial call while half-open');
  cb.onSuccess();
  assert.equal(cb.state, 'closed');
});

test('a failed trial re-opens the circuit at once', () => {
  let t = 0;
  const cb = new CircuitBreaker({ failureThreshold: 2, openMs: 100, now: () => t });
  cb.onFailure();
  cb.onFailure();
  t = 150;
  assert.equal(cb.tryAcquire(), true);
  cb.onFailure();
  assert.equal(cb.state, 'open');
  t = 200;
  assert.equal(cb.tryAcquire(), false);
});

test('a success resets the consecutive failure count', () => {
  const cb = new CircuitBreaker({ failureThreshold: 2, openMs: 100, now: () => 0 });
  cb.onFailure();
  cb.onSuccess();
  cb.onFailure();
  assert.equal(cb.state, 'closed');
});
