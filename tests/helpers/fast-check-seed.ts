// Every property test runs at one fixed fast-check seed, so the suite is deterministic: a failure
// is the same failure on every run and machine. To explore other inputs, run with
// FAST_CHECK_SEED=<integer> (then a failure prints its seed and path to reproduce it).
import fc from 'fast-check';

const DEFAULT_FAST_CHECK_SEED = 20261202;
const requested = Number(process.env['FAST_CHECK_SEED']);
fc.configureGlobal({ seed: Number.isInteger(requested) ? requested : DEFAULT_FAST_CHECK_SEED });
