/**
 * Fetching raw data: PneumoniaMNIST from Zenodo, the Kermany set from Kaggle, resumable HTTP with
 * checksums and safe zip extraction. Imports config and io only.
 */
package io.cxr.core.download;
