"""The kit's IPython kernel settings: quiet about TCP on one's own machine, and nothing else.

`make setup` copies this file to .venv/etc/ipython/, where every kernel started with the venv's Python reads it
(JupyterLab's, nbclient's, nbval's); `python -m course_lib build` also passes it to the kernels it starts.

ipykernel 7 warns, at every kernel start, "Kernel is running over TCP without encryption...". A kernel on one's own
machine, its ports bound to 127.0.0.1 and guarded by the connection file's HMAC key, is the ordinary local setup
that Jupyter has always used, so the warning only teaches students to ignore warnings. This filter drops exactly that
message from the kernel application's own log; every other message, and every warning a student's code raises (those
go through Python's warnings module to the notebook, not through this log), is shown as before.
"""

import logging

TCP_NOTICE = "Kernel is running over TCP without encryption."


class WithoutTcpNotice(logging.Filter):
    """Drop the kernel's TCP-without-encryption notice, and nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that notice."""
        return not str(record.msg).startswith(TCP_NOTICE)


c = get_config()  # noqa: F821 (IPython's config loader defines get_config)
c.IPKernelApp.logging_config = {
    "filters": {"course_lib_without_tcp_notice": {"()": WithoutTcpNotice}},
    "loggers": {"IPKernelApp": {"filters": ["course_lib_without_tcp_notice"]}},
}
