/* dir_fixture.h — the fixture of test_csv.c and test_sources.c: each test gets a fresh context
 * (ctx), no pipeline yet (pl, destroyed afterwards when set) and its own temporary directory as
 * the working directory (dir), so data files and messages use the names written in the pipeline.
 * Use with TestSuite(name, .init = setup, .fini = teardown); include after criterion.h, util.h. */
#ifndef YSG_TEST_DIR_FIXTURE_H
#define YSG_TEST_DIR_FIXTURE_H

#include <unistd.h>

static ysg_context *ctx;
static ysg_pipeline *pl;
static const char *dir;

static void setup(void) {
  ctx = ysgt_ctx();
  cr_assert_not_null(ctx);
  dir = ysgt_tmpdir();
  cr_assert_eq(chdir(dir), 0);
  pl = NULL;
}

static void teardown(void) {
  if (pl) ysg_pipeline_destroy(pl);
  ysg_context_destroy(ctx);
}

#endif
