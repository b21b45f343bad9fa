// json-enrich in JavaScript: the same behaviour as examples/python-json-enrich, built into a
// component with componentize-js (StarlingMonkey) against wit/dataflare.wit, world `processor`.
import { log } from "dataflare:core/logging@1.0.0";
import { incrementCounter } from "dataflare:core/metrics@1.0.0";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
let settings = { add: {}, upper: [], required: null };

function enrich(record) {
  let doc;
  try {
    doc = JSON.parse(decoder.decode(record.payload));
  } catch (e) {
    incrementCounter("bad_json", 1n);
    return { tag: "error", val: `invalid JSON: ${e.message}` };
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    const kind = Array.isArray(doc) ? "list" : doc === null ? "NoneType" : typeof doc;
    return { tag: "error", val: `expected a JSON object, got ${kind}` };
  }
  if (settings.required && !(settings.required in doc)) {
    return { tag: "skip" };
  }
  for (const key of settings.upper) {
    if (typeof doc[key] === "string") doc[key] = doc[key].toUpperCase();
  }
  Object.assign(doc, settings.add);
  doc.field_count = Object.keys(doc).length + 1;
  doc.record_id = record.id;
  return {
    tag: "success",
    val: {
      id: record.id,
      timestamp: record.timestamp,
      payload: encoder.encode(JSON.stringify(doc)),
      metadata: [...record.metadata, ["enriched", "json-enrich"]],
    },
  };
}

export const dataProcessor = {
  init(config) {
    const c = JSON.parse(config || "{}");
    settings = { add: c.add ?? {}, upper: c.upper ?? [], required: c.drop_if_missing ?? null };
    log("info", "js-json-enrich ready");
  },
  process(record) {
    return enrich(record);
  },
  processBatch(records) {
    return records.map(enrich);
  },
  finish() {
    return [];
  },
};
