import type { RouteDef } from "../route.ts";
import { route as login } from "./login.ts";
import { route as me } from "./me.ts";
import { route as changePassword } from "./change_password.ts";
import { route as mfaInit } from "./mfa_init.ts";
import { route as mfaVerify } from "./mfa_verify.ts";
import { route as mfaDisable } from "./mfa_disable.ts";

export const routes: RouteDef[] = [login, me, changePassword, mfaInit, mfaVerify, mfaDisable];
