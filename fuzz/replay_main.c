/* Replays fuzz inputs through a harness without libFuzzer, so the normal
 * builds (release and ASan+UBSan) run every seed and every crash ever
 * found as a regression test: replay_NAME DIR... feeds each regular file
 * of each directory (one level, in name order) to LLVMFuzzerTestOneInput.
 * A missing directory is skipped; no input at all is an error (a corpus
 * that moved must not make the test pass vacuously). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a harness, as in libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Runs every file of dir; the number run. */
static int replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return 0;
	int run = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		uint8_t *buf;
		size_t len;
		struct sg_err err;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] == '.' || !strcmp(names[i]->d_name, "README") ||
		    sg_read_file(path, 64u << 20, &buf, &len, &err) != SG_OK) {
			free(names[i]);
			continue;
		}
		fprintf(stderr, "%s\n", path); /* the input a crash came from */
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		free(names[i]);
		run++;
	}
	free(names);
	return run;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int total = 0;
	for (int i = 1; i < argc; i++)
		total += replay_dir(argv[i]);
	if (total == 0) {
		fprintf(stderr, "%s: no inputs in the directories given\n", argv[0]);
		return 1;
	}
	printf("%d inputs replayed\n", total);
	return 0;
}
