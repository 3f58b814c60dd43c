/* SPDX-License-Identifier: MIT */
/*
 * Test server for Frond templates in the server (tests/integration/templates.test.mjs):
 *   GET /page/{name}?who=X    t4_res_template(name, {"who": X, "items": [1,2,3]})
 *   GET /string?src=S         t4_render_string(S, {"who": "string"}) as text
 */
#include <stdlib.h>
#include <string.h>
#include <tina4.h>

static void page(t4_req *req, t4_res *res)
{
    const char *who = t4_req_query(req, "who");
    t4_res_template(res, 200, t4_req_param(req, "name"),
                    json_pack("{s:s, s:[i,i,i]}", "who", who ? who : "world", "items", 1, 2, 3));
}
T4_GET("/page/{name}", page)

static void string(t4_req *req, t4_res *res)
{
    const char *src = t4_req_query(req, "src");
    char *out = t4_render_string(src ? src : "", json_pack("{s:s}", "who", "string"));
    if (!out) {
        t4_res_text(res, 500, "render failed\n");
        return;
    }
    t4_res_text(res, 200, out);
    free(out);
}
T4_GET("/string", string)

int main(void)
{
    return t4_run(NULL) == 0 ? 0 : 1;
}
