/**
 * Errors and outcomes shared by every component.
 *
 *   throw new FilteredError('not-an-image');        // terminal, recorded with its reason
 *   throw new RetryLaterError(5_000, 'rate limited'); // transient
 *   if (errorCode(e) === 'FILTERED') …               // check by code, not instanceof
 */
export * from './errors.ts';
