# The admin's pages (users, shelters and places, rule sets). Every key here
# is in the other language's admin.ftl too; a test fails otherwise.
