/** What a facet is called: `doc`, `locale.pt_BR`, `locale.sr@latin`, `devel` (core/facets.ts says what facets do). */
export const FACET_NAME = /^[a-z][a-z0-9_-]*(\.[A-Za-z0-9_@+-]+)*$/;
