// dataflare_finish, for stateful processors (also re-export ./processor):
//   export * from "@dataflare/sdk/exports/finish";
// A module exporting dataflare_finish runs on one worker and is not resumed by the host.
import { runFinish } from "../assembly/plugin";

export function dataflare_finish(os: usize, oa: usize): i32 { return runFinish(os, oa); }
