/**
 * Hyper-parameter search: the search space and Arbiter's seeded candidate generators, the trial
 * runner and loop, median pruning, and the search's reports. Imports train and everything below.
 */
package io.cxr.core.hpo;
