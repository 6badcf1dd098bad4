/**
 * YAML parsing, with the library loaded at the first parse: loading `yaml`
 * cost ~25 ms of a 0.23 s `zpkg list` here, and most commands on most images
 * parse no YAML at all (an image without etc/zpkg/zpkg.yaml). In the bundle,
 * `yaml` is one of the packages bundled apart and loaded on first require
 * (packaging/lib/js.mjs).
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const load = createRequire(import.meta.url);
let yaml: typeof Yaml | undefined;

/**
 * The one document in `text`, as plain values. Throws the library's first error,
 * and its first warning too (a tag no schema knows, such as `!foo`): `yaml.parse`
 * would print a warning on stderr, outside zpkg's report, and carry on with the
 * tag ignored, where a misspelt or foreign tag in a recipe or config file is a
 * mistake to name. Callers turn the throw into their typed error.
 */
export function parseYaml(text: string, options?: Yaml.ParseOptions & Yaml.DocumentOptions & Yaml.SchemaOptions & Yaml.ToJSOptions): unknown {
  yaml ??= load('yaml') as typeof Yaml;
  const doc = yaml.parseDocument(text, options);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw problem;
  return doc.toJS(options);
}
