# The coordinator's pages: incidents, bans, complaints and feedback, the survey.
# Every key here is in the other language's casework.ftl too; a test fails otherwise.

## The start page
case-start-incidents = Incidents and bans
case-start-incident-new = Report an incident (threats or violence)
case-start-complaints = Complaints and feedback
case-start-complaint-new = Take down a complaint or feedback
case-start-survey = The guest survey

## Who may
case-denied-title = Not for your role
case-denied-coordinator = This page is for coordinators. Contact the coordination function if you need it.
case-denied-record = Reporting incidents, complaints and feedback and entering survey answers is for coordinators and shelter staff, at their own shelters.

## Shared fields
case-shelter = Shelter
case-night = Night
case-night-hint = The night that begins on that date. Leave it empty for tonight.
case-period-from = From the night of
case-period-to = To the night of
case-period-show = Show
case-found-meta = born { $year }, card { $card }

## Incidents
case-incidents-title = Incidents of threats and violence
case-incidents-intro = The incidents at the shelters, newest first. Under each one a guest involved can be banned, at that shelter or at all shelters; the ban then rests on the incident.
case-incidents-record-link = Report a new incident
case-incidents-count = Incidents ({ $count })
case-incidents-none = No incidents on these nights.
case-incident-heading = { $kind }, the night that began { $night }
case-incident-shelter = Shelter
case-incident-recorded = Reported
case-incident-no-guests = No guest is named.
case-incident-guests = Guests involved
case-incident-kind-threat = Threat
case-incident-kind-violence = Violence
case-ban-summary = Ban { $name }
case-ban-where = Where the ban holds
case-ban-at-shelter = Only at { $shelter }
case-ban-at-all = At all shelters
case-ban-first = First night
case-ban-last = Last night
case-ban-reason = Reason
case-ban-submit = Ban { $name }
case-to-incidents = To the incidents
case-incident-new-title = Report an incident
case-incident-new-intro = Threats and violence are reported here and reach the coordination function. First find the guests who were involved.
case-incident-find-heading = Guests involved
case-incident-find-label = Find the guest
case-incident-find-hint = Name, card number or year of birth.
case-incident-find-submit = Search
case-incident-record-heading = The incident
case-incident-guests-legend = Guests who were involved
case-incident-guests-search-first = Find the guests above; an incident may also be reported without a guest.
case-incident-found-none = No guest was found. Check the spelling.
case-incident-kind = What happened?
case-incident-description = Description
case-incident-description-hint = What happened, who was there and what was done. At most 4000 characters.
case-incident-submit = Report the incident

## Complaints and feedback
case-complaints-title = Complaints and feedback
case-complaints-intro = The complaints and feedback with their texts, newest first. Every reading is logged, as the texts may name people. A complaint goes from received to in progress, answered (with an answer) and closed.
case-complaints-record-link = Take down new complaints or feedback
case-complaints-status = State
case-complaints-status-all = All
case-complaints-count = Complaints and feedback ({ $count })
case-complaints-none = No complaints or feedback on these nights.
case-complaint-heading = { $kind }: { $category }
case-complaint-shelter = Shelter
case-complaint-night = The night that began
case-complaint-source = From
case-complaint-recorded = Received
case-complaint-response = Answer
case-move-response = Answer
case-move-response-hint = Needed to mark it answered.
case-move-received = Mark as received
case-move-in_progress = Mark as in progress
case-move-answered = Mark as answered
case-move-closed = Close
case-status-received = Received
case-status-in_progress = In progress
case-status-answered = Answered
case-status-closed = Closed
case-source-guest = A guest
case-source-staff = The staff
case-kind-complaint = Complaint
case-kind-feedback = Feedback
case-category-treatment = Treatment
case-category-safety = Safety
case-category-hygiene = Hygiene
case-category-food = Food
case-category-rules = Rules
case-category-premises = Premises
case-category-information = Information
case-category-other = Other
case-to-complaints = To the complaints and feedback
case-complaint-new-title = Take down a complaint or feedback
case-complaint-new-intro = Write down what the guest or the staff want to say. The coordination function reads it and answers.
case-complaint-kind = Is it a complaint or feedback?
case-complaint-source-legend = Who says it?
case-complaint-category = What is it about?
case-complaint-category-choose = Choose
case-complaint-text = What is said
case-complaint-text-hint = In their own words. At most 4000 characters.
case-complaint-submit = Save

## The survey
case-survey-title = The guest survey
case-survey-intro = One guest's answers at a time. The answers are kept without a name, without who entered them and without the time of day.
case-survey-declined-hint = Any question may be left unanswered. If the guest does not want to answer at all, save without answers: it still counts.
case-survey-no-answer = No answer
case-survey-q-safe = Did you feel safe at the shelter?
case-survey-q-respected = Did the staff treat you with respect?
case-survey-q-clean = Were the shelter and the beds clean?
case-survey-q-informed = Did you get the information you needed about other help?
case-survey-q-overall = All in all, how good is the shelter (1 very bad, 5 very good)?
case-survey-a-safe-yes = Yes
case-survey-a-safe-partly = Partly
case-survey-a-safe-no = No
case-survey-a-respected-yes = Yes
case-survey-a-respected-partly = Partly
case-survey-a-respected-no = No
case-survey-a-clean-yes = Yes
case-survey-a-clean-partly = Partly
case-survey-a-clean-no = No
case-survey-a-informed-yes = Yes
case-survey-a-informed-partly = Partly
case-survey-a-informed-no = No
case-survey-a-overall-1 = 1, very bad
case-survey-a-overall-2 = 2
case-survey-a-overall-3 = 3
case-survey-a-overall-4 = 4
case-survey-a-overall-5 = 5, very good
case-survey-submit = Save the answers

## What was done
case-done-incident = The incident is reported.
case-done-banned = The guest is banned. A stay the ban covers has been ended.
case-done-moved = The complaint has been moved on.
case-done-complaint = It is saved. The coordination function sees it now.
case-done-survey = The answers are saved. The form is empty for the next guest.

## Problems, with what to do
case-problem-complaint-transition = The complaint cannot go there from where it is now (someone may have moved it meanwhile). See its state below and choose one of the steps offered.
case-problem-request-in-progress = The form is already being sent. Wait a moment and reload the page.
case-problem-shelter = This is not a shelter you work at. Choose one of your shelters.
case-problem-not-found = It does not exist (any more). Reload the page and try again.
case-problem-input = Something in the form could not be read. Check the fields and try again.
case-problem-other = That did not work. Try again in a while.
case-field-key = This form was already sent with other details. Reload the page and fill it in again.
case-field-shelter_id = Choose a shelter.
case-field-night = The night must be a date, for example 2022-05-10.
case-field-kind = Choose which kind it is.
case-field-description = Describe the incident (at most 4000 characters).
case-field-guest_ids = One of the guests does not exist. Find the guest again.
case-field-guest_id = The guest does not exist. Reload the page.
case-field-first_night = The first night must be a date.
case-field-last_night = The last night must be a date, the same as or after the first.
case-field-reason = Write the reason for the ban (at most 500 characters).
case-field-incident_ids = The incident does not involve this guest, or does not exist.
case-field-source = Choose who says it.
case-field-category = Choose what it is about.
case-field-text = Write what is said (at most 4000 characters).
case-field-status = Choose one of the steps offered.
case-field-response = Write the answer to mark the complaint answered (at most 4000 characters).
case-field-safe = Choose one of the answers to the question on safety.
case-field-respected = Choose one of the answers to the question on respect.
case-field-clean = Choose one of the answers to the question on cleanliness.
case-field-informed = Choose one of the answers to the question on information.
case-field-overall = The rating must be 1 to 5.
case-field-from = The from night must be a date.
case-field-to = The to night must be a date, at most 400 nights after the from night.
