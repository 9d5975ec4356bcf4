import { pathParams } from "../route.ts";

/** The `{name}` path segment of a rule (its form is checked by the domain: 400). */
export const RuleParams = pathParams("name");
