#!/usr/bin/env node
// Composes the PromptSales subgraph SDLs into the supergraph the router loads.
//
//   node tools/compose/compose.mjs                 writes schema/supergraph.graphql
//   node tools/compose/compose.mjs --check         exits 1 when schema/supergraph.graphql is stale
//   node tools/compose/compose.mjs --schema-dir D  reads D/<subgraph>.graphql, writes D/supergraph.graphql
//
// Needs `npm ci --prefix tools/compose` once. The subgraph URLs written into the
// supergraph are the local defaults; the router overrides them at run time
// (override_subgraph_urls in router/router.yaml).

import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

/** The subgraphs, in composition order, with their local default URLs. */
const SUBGRAPHS = [
  { name: "sales", url: "http://127.0.0.1:4001/graphql" },
  { name: "ads", url: "http://127.0.0.1:4002/graphql" },
  { name: "crm", url: "http://127.0.0.1:4003/graphql" },
  { name: "content", url: "http://127.0.0.1:4004/graphql" },
];

const SUPERGRAPH_FILE = "supergraph.graphql";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "..", "..");

const USAGE = `usage: node tools/compose/compose.mjs [--check] [--schema-dir DIR]

  --check           compose in memory; exit 1 if ${SUPERGRAPH_FILE} is missing or stale
  --schema-dir DIR  folder holding <subgraph>.graphql and ${SUPERGRAPH_FILE}
                    (default: <repo>/schema; a relative DIR is taken from the current folder)`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { check: false, schemaDir: path.join(REPO_ROOT, "schema") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--check") {
      opts.check = true;
    } else if (arg === "--schema-dir") {
      const value = argv[++i];
      if (!value) throw new UsageError("--schema-dir needs a folder");
      opts.schemaDir = path.resolve(value);
    } else if (arg.startsWith("--schema-dir=")) {
      const value = arg.slice("--schema-dir=".length);
      if (!value) throw new UsageError("--schema-dir needs a folder");
      opts.schemaDir = path.resolve(value);
    } else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else {
      throw new UsageError(`unknown argument: ${arg}`);
    }
  }
  return opts;
}

/** Normalises line endings and guarantees one trailing newline, so that
 * comparisons do not depend on how the file was checked out. */
function normalize(sdl) {
  return sdl.replace(/\r\n/g, "\n").replace(/\n*$/, "\n");
}

function describeError(error) {
  const code = error?.extensions?.code;
  return code ? `[${code}] ${error.message}` : String(error?.message ?? error);
}

async function readServices(schemaDir) {
  const services = [];
  const problems = [];
  for (const { name, url } of SUBGRAPHS) {
    const file = path.join(schemaDir, `${name}.graphql`);
    let sdl;
    try {
      sdl = await readFile(file, "utf8");
    } catch (error) {
      problems.push(`${file}: cannot read (${error.code ?? error.message})`);
      continue;
    }
    try {
      services.push({ name, url, typeDefs: parse(sdl, { noLocation: false }) });
    } catch (error) {
      const where = error.locations?.[0]
        ? `:${error.locations[0].line}:${error.locations[0].column}`
        : "";
      problems.push(`${file}${where}: ${error.message}`);
    }
  }
  return { services, problems };
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`compose: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }

  const { services, problems } = await readServices(opts.schemaDir);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`compose: ${problem}`);
    return 1;
  }

  const result = composeServices(services);
  if (result.errors && result.errors.length > 0) {
    console.error(`compose: composition failed with ${result.errors.length} error(s):`);
    for (const error of result.errors) console.error(`  - ${describeError(error)}`);
    return 1;
  }

  const supergraph = normalize(result.supergraphSdl);
  const target = path.join(opts.schemaDir, SUPERGRAPH_FILE);
  const shown = path.relative(process.cwd(), target) || target;

  if (opts.check) {
    let current;
    try {
      current = normalize(await readFile(target, "utf8"));
    } catch (error) {
      console.error(`compose: ${shown} is missing (${error.code ?? error.message}); run \`node tools/compose/compose.mjs\``);
      return 1;
    }
    if (current !== supergraph) {
      console.error(
        `compose: ${shown} is stale: it differs from the composition of the subgraph SDLs; ` +
          "run `node tools/compose/compose.mjs` and commit the result",
      );
      return 1;
    }
    console.log(`compose: ${shown} is up to date`);
    return 0;
  }

  await writeFile(target, supergraph, "utf8");
  console.log(`compose: wrote ${shown} (${SUBGRAPHS.map((s) => s.name).join(", ")})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`compose: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
