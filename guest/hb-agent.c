// SPDX-License-Identifier: GPL-2.0
/*
 * hb-agent: runs shell commands sent by the host over a virtio-serial port
 * and streams their output back.  It runs as PID 1 of the test guest, so it
 * also reaps every orphan.
 *
 * Host to guest:  "CMD <len>\n" followed by <len> bytes of shell command.
 * Guest to host:  any number of "OUT <len>\n<bytes>" frames, then
 *                 "RC <status>\n" where status is the exit code, or
 *                 128 + signal number when the command was killed.
 *
 * The command runs as "/bin/sh -c <command>" in a new session with stdin on
 * /dev/null.  The reply ends when the shell exits: background jobs that keep
 * the output pipe open do not hold the reply, whatever they print later is
 * dropped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PORT_NAME "hb.agent"
#define MAX_CMD (1 << 20)

static int port = -1;

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void send_out(const char *buf, size_t len)
{
	char hdr[32];
	int n = snprintf(hdr, sizeof(hdr), "OUT %zu\n", len);

	write_all(port, hdr, n);
	write_all(port, buf, len);
}

/* The port's device name is only known through sysfs. */
static int open_port(void)
{
	char path[300], name[64];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	d = opendir("/sys/class/virtio-ports");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) &&
		    !strncmp(name, PORT_NAME, strlen(PORT_NAME))) {
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			fd = open(path, O_RDWR);
		}
		fclose(f);
		if (fd >= 0)
			break;
	}
	closedir(d);
	return fd;
}

static int read_header(char *line, size_t size)
{
	size_t i = 0;

	while (i + 1 < size) {
		if (read_all(port, &line[i], 1))
			return -1;
		if (line[i] == '\n')
			break;
		i++;
	}
	line[i] = '\0';
	return 0;
}

/* Reap everything; return the status of @pid if it was among them. */
static int reap(pid_t pid, int *status)
{
	int found = 0, st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p == pid) {
			*status = st;
			found = 1;
		}
	}
	return found;
}

static void run(char *cmd)
{
	char buf[65536], rc[32];
	int pfd[2], status = 0, done = 0, code;
	pid_t pid;

	if (pipe(pfd)) {
		send_out("hb-agent: pipe failed\n", 22);
		write_all(port, "RC 127\n", 7);
		return;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setsid();
		dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		close(port);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);

	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int r = poll(&p, 1, done ? 0 : 100);
		ssize_t n;

		if (r > 0) {
			n = read(pfd[0], buf, sizeof(buf));
			if (n > 0) {
				send_out(buf, n);
				continue;
			}
			if (n == 0)
				break;
			if (errno != EAGAIN && errno != EINTR)
				break;
		}
		if (done)
			break;
		if (pid > 0 && reap(pid, &status))
			done = 1;
	}
	close(pfd[0]);
	if (!done) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	reap(-1, &code);
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	else
		code = 255;
	write_all(port, rc, snprintf(rc, sizeof(rc), "RC %d\n", code));
}

int main(void)
{
	char line[64];
	int tries;

	signal(SIGPIPE, SIG_IGN);
	for (tries = 0; (port = open_port()) < 0; tries++) {
		if (tries == 100) {
			fprintf(stderr, "hb-agent: no virtio port named %s\n",
				PORT_NAME);
			break;
		}
		usleep(100000);
	}
	if (port < 0) {
		/* PID 1 must not exit: keep reaping. */
		for (;;) {
			int st;

			if (wait(&st) < 0)
				pause();
		}
	}
	fprintf(stderr, "hb-agent: ready\n");

	for (;;) {
		unsigned long len;
		char *cmd;

		if (read_header(line, sizeof(line))) {
			/* Host side closed: wait for it to come back. */
			sleep(1);
			continue;
		}
		if (sscanf(line, "CMD %lu", &len) != 1 || len > MAX_CMD) {
			send_out("hb-agent: bad request\n", 22);
			write_all(port, "RC 126\n", 7);
			continue;
		}
		cmd = malloc(len + 1);
		if (!cmd || read_all(port, cmd, len)) {
			free(cmd);
			continue;
		}
		cmd[len] = '\0';
		run(cmd);
		free(cmd);
	}
}
