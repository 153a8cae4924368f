/**
 * What people read: PNG plots (one chart helper), console tables and Markdown reports of eval's
 * results. Imports eval and the layers below it.
 */
package io.cxr.core.report;
