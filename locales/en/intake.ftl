# Finding, registering and granting (intake). Every key here is in the
# other language's intake.ftl too; a test fails otherwise.
