# Tonight's list and its acts (check-in, end, move). Every key here is in
# the other language's desk.ftl too; a test fails otherwise.
