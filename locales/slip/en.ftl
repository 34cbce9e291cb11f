# The guest slip in English (src/web/slip.rs). Every key here is in each
# of locales/slip/*.ftl; a test fails otherwise. Short plain sentences: the
# reader may know little English.

slip-title = Your bed at the night shelter
slip-shelter = Night shelter
slip-address = Address
slip-phone = Phone
slip-bed = Your bed
slip-first-night = First night (evening)
slip-leave = Leave the bed (morning)
slip-checkin = Arrive
slip-checkin-value = every evening before { $time }
slip-checkin-text = If you come after { $time }, your bed can go to someone else that night.
slip-nights = Your nights and beds
slip-night = Night
slip-wait-heading = After your stay: waiting time (karenstid)
slip-wait-nights = No bed on these nights
slip-wait-text = In the waiting time you cannot get a bed at any night shelter.
slip-again = You can get a new bed from (evening)
slip-keep = Keep this paper. Show it at the door.

## Dates: "Sunday 1 December 2019"

date-long = { $weekday } { $day } { $month } { $year }
weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
