// Hive Gateway at its defaults (JavaScript query planner). An explicit empty config keeps the
// gateway from picking up some other gateway.config.* in the working directory.
import { defineConfig } from "@graphql-hive/gateway";

export const gatewayConfig = defineConfig({});
