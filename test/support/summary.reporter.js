// Prints one plain closing line ("tests: N passed, N failed") that CI reads. It is written at
// process exit so it stands after Jest's own summary. A suite that could not run at all (a
// compile error, a failing beforeAll) counts as one failure so it can never look green.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.on('exit', () => {
      process.stdout.write(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    });
  }
}
module.exports = SummaryReporter;
