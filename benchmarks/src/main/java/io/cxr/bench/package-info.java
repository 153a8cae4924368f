/**
 * JMH benchmarks of the hot paths (decode, batch assembly, prepare, training) against other tools;
 * run by benchmarks/run.sh. Imports core.
 */
package io.cxr.bench;
