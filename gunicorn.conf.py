"""gunicorn reads this file from the working directory (Dockerfile, docker-compose.yml).

The access log keeps the path but never the query string: a patient search puts a name there."""

bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms "%({x-request-id}o)s"'
# Patient-link tokens in paths (/intake/<token>/...) are redacted from every gunicorn log line.
logger_class = "clinic.log_redaction.GunicornLogger"
# Threads, not sync workers: a sync worker is killed after `timeout` seconds even while it is
# still streaming a large export (benoitc/gunicorn#1736).
worker_class = "gthread"
threads = 4
timeout = 60
