// Validates JSON documents against a JSON Schema with ajv in strict mode.
//
// Reads {"schemas": {name: schema}, "documents": [[name, document], ...]} on stdin
// and writes {"errors": {name: message}, "results": [[valid, [message, ...]], ...]}:
// a schema ajv's strict mode refuses is named in "errors" and its documents are
// judged null. Used by tests/io/test_schema_corpus.py; `make ajv` installs ajv.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const input = JSON.parse(readFileSync(0, "utf8"));
const errors = {};
const validators = {};
// One instance for every schema: it compiles the draft 2020-12 meta-schema once.
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// No addKeyword: the schemas use standard keywords only (personal fields are a
// $ref to an annotation-only definition), so strict mode must take them as they are.
for (const [name, schema] of Object.entries(input.schemas)) {
  try {
    validators[name] = ajv.compile(schema);
  } catch (e) {
    errors[name] = String(e.message);
  }
}
const results = input.documents.map(([name, document]) => {
  const validate = validators[name];
  if (validate === undefined) return [null, []];
  const valid = validate(document);
  return [valid, valid ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`)];
});
process.stdout.write(JSON.stringify({ errors, results }));
