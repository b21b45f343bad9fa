// Exports of a processor: in the plugin's entry file, `export * from "@dataflare/sdk/exports/processor";`
import { runProcess } from "../assembly/plugin";
export * from "./common";

export function dataflare_process(is: usize, ia: usize, os: usize, oa: usize): i32 {
  return runProcess(is, ia, os, oa);
}
