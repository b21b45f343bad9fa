// Exports of a source: `export * from "@dataflare/sdk/exports/source";`
import { runRead } from "../assembly/plugin";
export * from "./common";

export function dataflare_read(maxRows: i32, os: usize, oa: usize): i32 { return runRead(maxRows, os, oa); }
