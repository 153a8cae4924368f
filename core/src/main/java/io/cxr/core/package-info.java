/**
 * cxr's core library: everything behind the commands, with no System.exit and no console. Here at
 * the root: {@link io.cxr.core.Reporter}, through which core reports progress and warnings, and
 * {@link io.cxr.core.CxrException}, the one-line error about bad input. Imports nothing of cxr.
 */
package io.cxr.core;
