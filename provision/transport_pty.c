/* pty: transports: a pseudo-terminal in raw mode (termios), on the station's
 * side its slave path, on the simulator's its master. libserialport refuses
 * pseudo-terminals, so they are reached here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "transport_priv.h"

static int raw_mode(int fd)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) != 0)
		return -1;
	cfmakeraw(&tio);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSANOW, &tio);
}

int pty_open(const char *path, const char *spec, struct sg_transport **t, struct sg_err *err)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC), e;

	if (fd < 0)
		return sg_errf(err, SG_EENV, "%s: %s", spec, strerror(errno));
	if (!isatty(fd) || raw_mode(fd) != 0) {
		e = errno;
		close(fd);
		return sg_errf(err, SG_EENV, "%s: not a terminal (%s)", spec, strerror(e));
	}
	return transport_from_fd(fd, 0, spec, t, err);
}

int pty_listen(struct sg_listener *l, struct sg_err *err)
{
	char name[128];

	l->kind = LISTEN_PTY;
	if ((l->fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || grantpt(l->fd) != 0 ||
	    unlockpt(l->fd) != 0 || ptsname_r(l->fd, name, sizeof name) != 0 || raw_mode(l->fd) != 0 ||
	    (l->hold_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || raw_mode(l->hold_fd) != 0)
		return sg_errf(err, SG_EENV, "pty: cannot make a pseudo-terminal: %s", strerror(errno));
	snprintf(l->address, sizeof l->address, "pty:%s", name);
	return SG_OK;
}
