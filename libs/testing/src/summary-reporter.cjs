// Ends the run with one plain line, "tests: N passed, N failed, N skipped", which CI systems
// that do not parse Jest's own summary can read.
'use strict';

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    const line = `tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`;
    // Last, after Jest's own summary (which goes to stderr as well).
    process.once('exit', () => process.stderr.write(line));
  }
}

module.exports = SummaryReporter;
