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

export function parseYaml(text: string, options?: Yaml.ParseOptions & Yaml.DocumentOptions & Yaml.SchemaOptions & Yaml.ToJSOptions): unknown {
  yaml ??= load('yaml') as typeof Yaml;
  return yaml.parse(text, options);
}
