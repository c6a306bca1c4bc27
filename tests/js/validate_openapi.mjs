// Validates an OpenAPI document against the OpenAPI 3.1 schema and resolves
// every $ref in it. Usage: node validate_openapi.mjs <openapi.json>
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate_openapi.mjs <openapi.json>");
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(file);
  const operations = Object.values(api.paths).reduce(
    (n, item) => n + Object.keys(item).filter((k) => k !== "parameters").length, 0);
  console.log(`${file}: valid OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths, ${operations} operations`);
} catch (err) {
  console.error(`${file}: ${err.message}`);
  process.exit(1);
}
