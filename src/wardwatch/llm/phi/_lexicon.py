"""Word lists for the name recognizer, written for this package (no download).

* ``FIRST_NAMES`` / ``LAST_NAMES``: common given names and surnames seen in US records, across
  several origins. A name in these lists is taken as a name where a capitalised word alone
  would not be; a name outside them is still found from titles, roles, relations, credentials
  and the "LAST, First" form.
* ``AMBIGUOUS``: names that are also ordinary words, months or drug names ("Will", "May",
  "Rose", "Brown", "Graves"): never a name on the list alone, only with stronger evidence.
* ``STOPWORDS``: lower-case words that are never a name (function words and common words in
  clinical prose); they stop a name at a relation or title ("daughter is", "Dr. at bedside").
* ``CLINICAL_CAPS``: capitalised clinical words and abbreviations that are never a name.
* ``EPONYM_HEADS``: words after an eponym ("Parkinson disease", "Foley catheter") that mark the
  surname before them as a medical term, not a person.
"""

from __future__ import annotations

__all__ = [
    "AMBIGUOUS",
    "BY_ROLES",
    "CLINICAL_CAPS",
    "CREDENTIALS",
    "EPONYM_HEADS",
    "FIRST_NAMES",
    "LAST_NAMES",
    "MONTHS",
    "RELATIONS",
    "ROLES",
    "STOPWORDS",
    "TITLES",
    "WEEKDAYS",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in text.split())


def _exact(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    """
    aaron abigail adam adrian aisha alan albert alejandro alex alexander alexandra alice alicia
    alisha allison alma alvin amanda amber amelia amir amy ana andre andrea andrew angela
    anita ann anna anne annie anthony antonio april arjun arthur ashley audrey austin ava
    barbara beatriz benjamin bernard beth betty beverly bianca billy bobby bonnie brad bradley
    brandon brenda brian brittany bruce bryan caleb calvin cameron camila carl carla carlos
    carmen carol caroline carolyn catherine cecilia charles charlene charlotte chen cheryl chloe
    chris christian christina christine christopher cindy claire clara clarence claudia clifford
    colleen connie connor craig crystal curtis cynthia daisy dale dana daniel danielle darius
    darlene darnell david dawn dean deborah debra declan deepak delores denise dennis derek
    desmond devon diana diane diego dmitri dolores dominic donald donna doris dorothy douglas
    duane dustin dwayne earl eddie edith eduardo edward eileen elaine elena eli elijah
    elizabeth ella ellen emily emma enrique eric erica erik erin esperanza esther ethan eugene
    eva evelyn fatima felicia felix fernando florence frances francesca francisco frank
    gabriel gabriela gail gary gavin george georgia gerald gina giovanni gladys glenn gloria
    gordon grace greg gregory guadalupe gwen hailey hannah harold harry hassan hazel heather
    hector helen henry hiroshi holly howard hui ian imani irene isaac isabel isabella ivan
    jack jackie jacob jacqueline jada jamal james jamie jan jane janet janice jared jasmine
    jason javier jay jean jeanette jeffrey jenna jennifer jeremy jerome jerry jesse jessica
    jesus jill jimmy joan joann joanne joe joel john johnny jonathan jorge jose joseph joshua
    joyce juan juanita judith judy julia julian julie justin kamala karen kareem karl kate
    katherine kathleen kathryn kathy katie kayla keisha keith kelly kenji kenneth kevin
    khadija kim kimberly kirk kristen kristin kyle lakisha lamar lance larry latoya laura
    lauren lawrence leah lee leonard leslie lillian linda lindsay lisa lloyd logan lois lorenzo
    lori lorraine louis louise lucas lucia luis luke lydia lynn madeline madison malik
    manuel marcus margaret maria marian marie marilyn marion marjorie marlene marsha martha
    martin marvin mary mason matthew maureen maurice megan melanie melissa melvin mercedes
    mia michael michelle miguel mildred mohammed monica morgan muhammad nadia nancy naomi
    natalie nathan nathaniel neil nicholas nicole noah nora norma olga olivia omar oscar
    pablo pamela patricia patrick paula pedro peggy peter philip phyllis pooja priya
    rachel rafael rahul raj ramon randall randy raquel ray raymond rebecca regina renee
    rhonda ricardo richard rita robert roberta roberto robin rodney roger roland ronald rosa
    rosemary roxanne ruby russell ruth ryan sabrina salvador samantha samuel sandra sanjay
    sara sarah scott sean sergei shannon sharon shawn sheila shirley sofia sonia sophia
    stacy stanley stephanie stephen steve steven susan suzanne sylvia tamara tammy tanya
    tara teresa terrence thelma theodore theresa thomas timothy tina todd tonya tracy travis
    trevor troy tyler tyrone valerie vanessa vernon veronica vicki victor victoria vincent
    virginia vivian walter wanda warren wayne wei wendy wesley william willie xavier yasmin
    yolanda yusuf zachary zoe
    """
    + """
    abel ada adele agnes alberto alfred alfredo alison allan alonzo amos andy angelo angie
    annette antoinette armando arnold arturo ashton barry becky ben benny bernadette bernice
    bert bertha beulah blanca bob boyd brent brett bridget brooke byron candace carlton carmela
    carrie casey cathy cecil celia chad charlie chester clay clayton clifton clint clyde cody
    cora corey cornelius courtney dallas damon dan danny darla darrell darryl dave delia della
    derrick dewey dianne dixie dolly dominique don dora doreen dwight earnest ed edgar edmund
    edna eduard edwin effie elbert eleanor elena elias ella ellis elmer eloise elsie elvira
    emanuel emil emilio ernest ernestine ervin essie estelle ethel etta eunice everett fannie
    fay felipe fern flora floyd forrest francine francis fred freda freddie frederick gene
    geneva genevieve geraldine gerard gertrude gilbert gilberto ginger glen gordon greta
    guillermo gus gustavo hal harriet harvey hattie helena herbert herman hilda homer horace
    hubert hugh hugo ida ignacio inez ira irma isaiah ismael jacquelyn jaime jake janie jeanne
    jeannie jeff jeffery jenny jerald jesse jessie jill jim jo jodi johanna johnnie jon jonas
    josefina josephine josie juana julio julius june kara karla katrina kay kendra kent kerry
    kristina kristy lana laurie leigh lela lena leo leon leona leroy lester leticia lewis lila
    lillie lindsey lionel lola lonnie lora loretta lou lowell lucille lucy luella lula luther
    lyle mabel mack mae mamie marc marcella marcia margarita margie marguerite mario marlon
    marta marty matt mattie maxine melinda mercedes merle micheal mike milton minnie miriam
    mitchell mona myra myrtle nadine nancy nell nellie nettie nick nina noel nolan ollie opal
    orlando otis pat patsy pauline pearl percy pete preston rachael ralph ramona raul reginald
    rene rex ricky rick rob rodolfo rogelio ron ronnie rosalie rosie ross roy rudolph rudy rufus
    sadie sally sam sammy santiago sergio shane shari sherri sherry sidney silvia simon sonja
    stacey stella sue susie sybil tasha ted teri terri terry thelma tim toby tom tommy toni tony
    tracey trina ursula velma vera verna vickie viola violet wade wallace wilbur wilma winifred
    yvette yvonne paul allen beatrice debbie michele phillip tiffany
"""
)

LAST_NAMES = _words(
    """
    abbott acevedo adams adeyemi aguilar ahmed alexander ali allen alvarez anderson andrews
    armstrong arnold atkinson bailey baker banerjee barnes barrett bauer becker bennett
    bergstrom bishop blackwell boateng bradley brennan brooks bryant burke burns butler
    byrne caldwell campbell carlson carpenter carroll carter castillo castro chan chang
    chavez chen cheng choi christensen clark cohen coleman collins contreras cooper cortez
    costa cruz cunningham dang daniels davidson davis delgado diaz dixon dominguez donnelly
    duncan dunn edwards ellis espinoza estrada evans ferguson fernandez fischer fitzgerald
    flores fontaine ford foster fowler francis franklin freeman friedman fuller gallagher
    garcia gardner garza gibson gilbert goldberg gomez gonzales gonzalez goodman gordon
    gupta gutierrez hamilton hansen harper harris harrison hayes henderson hernandez herrera
    hoffman holmes horvath howard huang hughes hunt ibrahim jackson jacobs jenkins jensen
    jimenez johnson johnston jones jordan kaplan kaur keller kelly kennedy khan kim klein
    kowalczyk kowalski kramer kumar lambert larsen larson lee leblanc lewis li lin liu
    lopez lowe lynch macdonald mahoney malik marquez martin martinez mason mcbride mccarthy
    mcdonald mcgee mckenzie medina mehta mendez mendoza meyer miller mitchell molina moore
    morales moreno morgan morris murray myers nakamura nelson nguyen novak nowak obrien
    o'brien o'connor okafor okonkwo oliveira olson ortiz owens palmer park parker patel
    patterson pearson pena perez perry peters peterson petrov phillips pierce popescu powell
    quinn ramirez ramos reed reyes reynolds richardson rivera roberts robinson rodriguez
    rogers romero rosenberg ross ruiz russell ryan saito salazar sanchez sanders santiago
    santos schmidt schneider schultz scott shah shapiro sharma shaw silva simmons sims singh
    smith snyder sokolov soto spencer stewart sullivan suzuki tanaka taylor thomas thompson
    torres tran tucker turner vargas vasquez vaughn vega velasquez wagner walker wallace
    walsh wang ward washington watson weber webster weiss williams willis wilson wong
    wright wu yamamoto yang yilmaz zhang zhao zimmerman
    """
    + """
    acosta aguirre alvarado atkins austin avila ayala baldwin ball banks barber barker barnett
    barrera barton bates beck benson berry blair bowen bowman boyd bradford brady bridges briggs
    bryan buchanan burgess burton bush byrd cabrera cain calderon cameron cannon cardenas
    carr carrillo carson casey castaneda chambers chandler christian clarke cobb cochran
    coffey cole compton conner conrad conway copeland cortes craig crawford cross cummings
    curry curtis daniel davenport dawson day dean decker dennis dickerson douglas doyle drake
    duffy dyer elliott erickson farmer faulkner fields figueroa fisher fleming fletcher
    floyd fox franco frank frazier fry fuentes gaines gallegos garner garrett gates gentry
    gibbs gill glover golden goodwin graham greer griffin griffith gross guerrero guzman hale
    haley hammond hancock hanson hardy harmon harrington hart hartman hawkins hayden haynes
    hendricks henry hensley herring hess hicks hines hobbs hodge hodges hogan holland holloway
    holt hood hopkins horton houston howell hubbard hudson huff humphrey hurst ingram jacobson
    james jefferson jennings joseph joyce juarez kane kelley kemp kerr kirby kirk knight knox
    lamb landry lang lara lawson leach leon leonard levy lindsey little livingston logan
    love lucas luna lyons mack maldonado mann manning marsh marshall massey mathews matthews
    maxwell may mccall mccoy mcdaniel mcgrath mcintyre mckinney mclaughlin mcmahon meadows
    melton mercer merritt meyers michael middleton miles mills montgomery moody morrison
    morrow moss mueller mullins munoz murphy nash navarro neal newman newton nichols nicholson
    nielsen noble nolan norris norton obrien oconnor odom oneal oneill orr osborne pacheco
    padilla page parks parrish parsons payne pennington perkins phelps pittman poole pope
    porter potter pratt preston pruitt quinn randall rasmussen ray raymond reese reid rhodes
    rich riley rios rivas robbins robertson rocha rodgers rojas rosales rowe rowland salas
    salinas sampson sandoval saunders savage schwartz serrano sexton shannon sharp shelton
    shepherd sherman short simon simpson skinner slater sloan small snow solis sosa sparks
    stafford stanley stark steele stephens stevens stevenson stokes stone strickland summers
    sutton swanson sweeney tate terry todd townsend trevino tyler underwood valdez valencia
    vance vaughan velez villarreal vincent wade walters walton ware warner waters watkins
    watts weaver webb welch wells west wheeler whitaker whitehead wilcox wilkerson wilkins
    wilkinson williamson winters wolf wolfe woodard woods wyatt yates york young zamora
    cox gray grey greene hunter lawrence bell black brown cook grant green hall hill king
    lane long price rice rose warren wood white
"""
)

# Names that are also ordinary words, months, places or eponyms: never a name on list alone.
AMBIGUOUS = _words(
    """
    april august autumn bell bill black brown bush case chase christian cook crystal dawn
    early faith ford foster frank gay gibson graves grant green hall hill hope hunt iris
    ivy jack jewel joy june king lane lee long mark may miles morgan murphy norman page
    parker patience pierce price rich rice rose ruby rusty sage savannah sharp stone storm
    summer sunny warren wells white will wood woods young major marshall penny grace
    west north south east gray grey green cook ward don gene pat sue art dean
    """
)

TITLES = _words("dr dr. doctor mr mr. mrs mrs. ms ms. miss mx mx. prof prof. professor")

CREDENTIALS = frozenset(
    _exact(
        """
        MD DO RN NP PA-C PharmD DDS DMD LCSW LPN CNA CNM CRNA FNP DNP PhD MSW APRN ANP FACP FACC
        MBBS
        """
    )
)
"""Credentials after a clinician's name (case-sensitive; "DO" only after a comma). "PA",
"PT", "OT", "RD" are left out: they are also a state, the patient, therapies, a diet."""

# Words after which a name follows: the person's relation to the patient or their role.
RELATIONS = _words(
    """
    wife husband son daughter mother father mom dad sister brother spouse partner fiance
    fiancee friend caregiver niece nephew aunt uncle grandson granddaughter grandmother
    grandfather neighbor neighbour guardian roommate boyfriend girlfriend stepson stepdaughter
    cousin sibling
    """
)
ROLES = _words(
    """
    patient pt name attending resident fellow intern pcp nurse surgeon cardiologist
    nephrologist oncologist neurologist pulmonologist physician provider therapist
    pharmacist cc witness interpreter translator contact poa hcp proxy author referring
    consultant caller guarantor subscriber insured requester requestor
    """
)
# Verbs before "by" and a name: "seen by", "dictated by".
BY_ROLES = _words(
    """
    seen signed cosigned co-signed dictated transcribed evaluated examined reviewed referred
    accompanied authored written interpreted covered staffed attested performed
    """
)

STOPWORDS = _words(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours out over own same she should so some such than that the
    their them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours
    who's at bedside present reports reported states stated says said notes noted denies
    agrees agreed called calls visited visits was is will would who has had came comes
    brought brings arrived feels felt thinks thought wants wanted asked asks confirmed
    per re today tomorrow yesterday tonight morning afternoon evening night daily weekly
    patient pt home hospital clinic floor unit room bed icu er ed ward service team
    discharge discharged admitted admission follow followup follow-up plan assessment
    history exam labs lab note notes summary course status stable improved improving
    worse worsening without with also again still yet well unable able okay ok yes no
    and or but not none other same new old left right bilateral chronic acute mild moderate
    severe normal abnormal negative positive pain fever cough nausea vomiting diarrhea
    """
)

# Capitalised words common at the head of clinical sentences or in headers; never a name.
CLINICAL_CAPS = _words(
    """
    patient pt history hpi pmh psh ros exam plan assessment impression diagnosis diagnoses
    discharge admission admitted hospital course labs lab results medications meds allergies
    social family vitals vital signs general heent neck lungs heart cardiac abdomen abd
    extremities neuro skin psych disposition follow followup follow-up instructions
    condition chief complaint reason consult consultation note progress summary date dob
    mrn ssn phone fax email address city state zip county account insurance member policy
    signed dictated electronically attending resident fellow intern pcp nurse surgeon
    physician provider service team unit floor icu er ed clinic department emergency
    medicine surgery cardiology nephrology oncology neurology pulmonology endocrinology
    gastroenterology hematology infectious disease diseases orthopedics urology radiology
    internal geriatrics palliative obstetrics gynecology pediatrics dermatology psychiatry
    pathology pharmacy rehabilitation name ems ortho pt ot slp rt rehab home health hospice
    skilled nursing facility
    subjective objective the a an he she they his her their this that these those on in at
    by for with from to of and or but no not yes none new old left right today yesterday
    tomorrow tonight morning evening monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec continue continued start started stop
    stopped increase increased decrease decreased hold held resume resumed check repeat
    recheck obtain obtained consider recommend recommended will would should may might
    blood pressure heart rate temperature weight height bmi oxygen saturation creatinine
    glucose hemoglobin sodium potassium troponin bnp ecg ekg cbc bmp cmp cxr ct mri echo
    type diabetes mellitus hypertension heart failure pneumonia sepsis copd asthma ckd aki
    chf cad afib dvt pe uti gerd hld osa mi stemi nstemi tia cva esrd hiv hcv hbv
    tablet tablets capsule capsules mg mcg ml units daily bid tid qid prn po iv im sc
    please note see per call return seek contact notify appears denies reports states
    mother father wife husband son daughter sister brother spouse partner friend
    mr mrs ms dr doctor miss prof md do rn np pa wound photo serial device vehicle
    license plate vin ip url website portal fingerprint retinal iris voice biometric
    ref reference badge employee case accession specimen order claim group
    north south east west street avenue road boulevard lane drive court way place
    medicare medicaid tricare aetna cigna humana kaiser anthem blue cross shield united
    st saint mount general memorial regional university medical center centre
    """
)

# Words after an eponym: "Parkinson disease", "Foley catheter", "Murphy sign".
EPONYM_HEADS = _words(
    """
    disease disease's syndrome sign signs palsy catheter criteria score scale monitor
    procedure test maneuver manoeuvre lymphoma esophagus phenomenon virus stain smear
    classification index fracture reflex ulcer node nodes tube bag stockings hose
    operation repair fundoplication triad equation formula rule rules method position
    level levels class stage grade depth respirations breathing manual classification
    murmur pupil lesion drain lens attack pouch flap knot incision block tremor gait
    hospital hospitals university institute clinic clinics foundation medical health
    healthcare center centre memorial pavilion cancer children's college school
    """
)


MONTHS: frozenset[str] = frozenset(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"]
)  # fmt: skip
"""Month names, lower case: capitalised words that are never a person or a place."""

WEEKDAYS: frozenset[str] = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
)
"""Weekday names, lower case."""
