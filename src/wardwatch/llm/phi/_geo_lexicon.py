"""Place words for the geographic recognizer, written for this package (no download).

A state alone is not PHI under Safe Harbor; it is listed here so that "City, ST 12345" can be
split into the city and ZIP (identifiers) around the state (kept). ``CITIES`` holds US cities
and towns that are found without a state after them; any capitalised place name followed by a
state ("Shelbyville, IN") is found whether it is listed or not. Multi-word names are written
with ``_`` in the lists.
"""

from __future__ import annotations

__all__ = ["AMBIGUOUS_CITIES", "CITIES", "STATE_ABBREVS", "STATE_NAMES", "STREET_SUFFIXES"]


def _words(text: str) -> frozenset[str]:
    return frozenset(_split(text))


def _split(text: str) -> list[str]:
    return [w.replace("_", " ") for w in text.split()]


STATE_NAMES = _words(
    """
    Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia
    Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland
    Massachusetts Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio
    Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin
    Wyoming District_of_Columbia New_Hampshire New_Jersey New_Mexico New_York North_Carolina
    North_Dakota Puerto_Rico Rhode_Island South_Carolina South_Dakota West_Virginia
    """
)

STATE_ABBREVS = _words(
    """
    AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND
    NE NH NJ NM NV NY OH OK OR PA PR RI SC SD TN TX UT VA VT WA WI WV WY
    """
)

STREET_SUFFIXES = tuple(
    _split(
        """
    Street St Avenue Ave Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Way Place Pl
    Terrace Ter Circle Cir Parkway Pkwy Highway Hwy Trail Trl Square Sq Loop Row Pike Alley
    Crescent Cres Close Run Path Point Pt Ridge Hollow Bend Crossing Xing Walk
    """
    )
)

CITIES = _words(
    """
    Akron Albany Albuquerque Alexandria Allentown Amarillo Anaheim Anchorage Annapolis
    Arlington Asheville Athens Atlanta Augusta Aurora Austin Bakersfield Baltimore Bangor
    Baton_Rouge Bellevue Berkeley Billings Birmingham Bismarck Bloomington Boise Boston
    Boulder Bozeman Bridgeport Brockton Brooklyn Buffalo Burlington Cambridge Camden Canton
    Carmel Cedar_Rapids Champaign Chandler Charleston Charlotte Chattanooga Cheyenne Chicago
    Chico Cincinnati Clarksville Cleveland Columbia Columbus Concord Corvallis Dallas
    Danbury Davenport Dayton Dearborn Decatur Denton Denver Detroit Dover Dubuque Duluth
    Durham Edison El_Paso Elgin Elizabeth Erie Eugene Evanston Evansville Fairbanks Fairfax
    Fargo Fayetteville Flagstaff Flint Fort_Collins Fort_Wayne Fort_Worth Fremont Fresno
    Gainesville Galveston Gary Glendale Grand_Rapids Greensboro Greenville Hackensack
    Hartford Henderson Hialeah Hoboken Honolulu Houston Huntsville Indianapolis Irvine
    Ithaca Jackson Jacksonville Jersey_City Joliet Juneau Kalamazoo Kansas_City Kenosha
    Knoxville Lafayette Lakewood Lancaster Lansing Laredo Las_Cruces Las_Vegas Lawrence
    Lexington Lincoln Little_Rock Long_Beach Los_Angeles Louisville Lowell Lubbock Macon
    Madison Manchester Memphis Mesa Miami Milwaukee Minneapolis Missoula Modesto Montgomery
    Montpelier Morgantown Nashua Nashville New_Haven New_Orleans Newark Newport Norfolk
    Norman Oakland Odessa Ogden Olympia Omaha Orlando Oxnard Pasadena Paterson Peoria
    Philadelphia Phoenix Pittsburgh Plano Portland Providence Provo Pueblo Quincy Raleigh
    Reno Richmond Riverside Roanoke Rochester Rockford Sacramento Saginaw Salem Salinas
    Salt_Lake_City San_Antonio San_Diego San_Francisco San_Jose Santa_Ana Santa_Fe
    Santa_Rosa Savannah Scottsdale Scranton Seattle Shreveport Sioux_Falls South_Bend
    Spokane Springfield Stamford Stockton Syracuse Tacoma Tallahassee Tampa Tempe Toledo
    Topeka Trenton Tucson Tulsa Tuscaloosa Urbana Utica Waco Warwick Waterbury Wichita
    Wilmington Worcester Yakima Yonkers Youngstown Yuma
    """
)
"""Cities and towns found alone ("moved to Tucson")."""

# Cities that are also names, words or states: found only with a place cue before them
# ("lives in Jackson") or a state after them, never alone.
AMBIGUOUS_CITIES = _words(
    """
    Athens Augusta Aurora Austin Baton Bend Carmel Cedar Charlotte Columbia Concord Dover
    Edison El Elizabeth Erie Eugene Flint Fort Gainesville Gary Grand Henderson Independence
    Jackson Jersey Kansas Lafayette Lancaster Las Lawrence Lincoln Little Long Los Madison
    Mesa Mobile Montgomery New Newport Normal Norman Phoenix Quincy Reading Reno Richmond
    Rouge Salem Salt San Santa Savannah Sioux South Warwick Washington
    """
)
