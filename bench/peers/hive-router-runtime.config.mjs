// Hive Gateway with the Rust query planner of @graphql-hive/router-runtime instead of its
// default JavaScript planner; everything else at defaults.
import { defineConfig } from "@graphql-hive/gateway";
import { unifiedGraphHandler } from "@graphql-hive/router-runtime";

export const gatewayConfig = defineConfig({ unifiedGraphHandler });
