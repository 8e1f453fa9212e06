// Stands in for `prettier/standalone` in the bundle. GraphiQL formats the query with prettier's
// GraphQL plugin (kept: small), and the variables and headers (JSONC) with prettier's Babel and
// estree plugins, about 540 kB minified; JSONC is formatted here with jsonc-parser instead,
// which GraphiQL already bundles and which keeps comments too.
import * as prettier from 'prettier-real/standalone';
import { applyEdits, format as jsoncEdits } from 'jsonc-parser';

export * from 'prettier-real/standalone';

export async function format(source, options = {}) {
  if (options.parser === 'jsonc' || options.parser === 'json') {
    const edits = jsoncEdits(source, undefined, { tabSize: 2, insertSpaces: true, eol: '\n' });
    return applyEdits(source, edits);
  }
  return prettier.format(source, options);
}

export default { ...prettier, format };
