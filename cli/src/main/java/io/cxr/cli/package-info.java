/**
 * The {@code cxr} command line: one picocli class per command, each an adapter that turns options
 * into config overrides, calls one stage and maps its outcome to an exit code; {@code
 * ConsoleReporter} prints progress. Imports core; nothing imports it.
 */
package io.cxr.cli;
