/** The facets an image holds: `facets:` of its zpkg.yaml, overridden name by name by what `change-facet` recorded in state.db. */
import type { FacetSettings } from '../core/facets.js';
import { readLifecycleConfig } from '../hooks/config.js';
import { readFacetOverrides } from '../image/facet-state.js';
import type { Image } from '../image/image.js';

export function imageFacets(image: Image, overrides: FacetSettings = readFacetOverrides(image.db)): FacetSettings {
  return { ...readLifecycleConfig(image.paths.root).facets, ...overrides };
}
