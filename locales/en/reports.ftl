# The coordinator's report pages. Every key here is in the other
# language's reports.ftl too; a test fails otherwise.
