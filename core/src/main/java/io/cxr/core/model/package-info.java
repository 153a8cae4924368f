/**
 * The networks and what is shipped: builders (CNN, dense baseline), the model bundle and its card,
 * input normalization, the one scoring loop, the ND4J backend set-up and the CUDA check. Imports
 * data, config and io.
 */
package io.cxr.core.model;
