// Every page of the dashboard, in the order of the navigation. A page is a module
// whose default export says:
//   id        its route (#/id) and element id (page-id)
//   title     its name in the navigation
//   view      the view it reads: the page appears only when GET /views lists it
//   audience  "manager" (needs statements/read, all/read or all) or "learner"
//             (any credential: its own data only)
//   render(container, {api, params, me, go})  fills the page (async)
// A new view adds its page with one module in this folder and one line here
// (docs/dashboard.md).

import overview from "./overview.js";
import progress from "./progress.js";
import me from "./me.js";
import competency from "./competency.js";
import social from "./social.js";
import kpi from "./kpi.js";

export const PAGES = [overview, progress, competency, social, kpi, me];
